//! Generates the example hunts' decoders from the committed lockfile
//! (`schemas/huntreg.lock`, written by `huntreg pull`) with huntreg-codegen, rendering
//! with the project's `templates/`. Without the lockfile it falls back to `$HUNTREG_URL`,
//! then to the `.proto` files in `schemas/<hunt>/`. hunt-42 is also generated without the
//! index-free (kafkajs) fallback, as `hunt_42_confluent.rs`: `tests/decode.rs` checks that
//! the fallback changes nothing for Confluent-framed records. And with proto3 JSON serde
//! impls (`Builder::json`), as `hunt_42_json.rs`, which `tests/json.rs` checks.

fn main() -> miette::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    for hunt in ["hunt-42", "hunt-7", "hunt-23"] {
        huntreg_codegen::Builder::new()
            .lockfile("schemas/huntreg.lock")
            .schemas_dir(format!("schemas/{hunt}"))
            .templates_dir("templates")
            .hunt(hunt)
            .compile()?;
    }
    huntreg_codegen::Builder::new()
        .lockfile("schemas/huntreg.lock")
        .schemas_dir("schemas/hunt-42")
        .templates_dir("templates")
        .hunt("hunt-42")
        .module_name("hunt_42_confluent")
        .index_free_fallback(false)
        .compile()?;
    huntreg_codegen::Builder::new()
        .lockfile("schemas/huntreg.lock")
        .schemas_dir("schemas/hunt-42")
        .templates_dir("templates")
        .hunt("hunt-42")
        .module_name("hunt_42_json")
        .json(true)
        .compile()?;
    Ok(())
}
