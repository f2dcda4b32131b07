//! Generates the example hunts' decoders from the committed lockfile
//! (`schemas/huntreg.lock`, written by `huntreg pull`) with huntreg-codegen, rendering
//! with the project's `templates/`. Without the lockfile it falls back to `$HUNTREG_URL`,
//! then to the `.proto` files in `schemas/<hunt>/`.

fn main() -> miette::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    for hunt in ["hunt-42", "hunt-7"] {
        huntreg_codegen::Builder::new()
            .lockfile("schemas/huntreg.lock")
            .schemas_dir(format!("schemas/{hunt}"))
            .templates_dir("templates")
            .hunt(hunt)
            .compile()?;
    }
    Ok(())
}
