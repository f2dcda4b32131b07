//! huntreg-hunts: typed decoders for the example hunts in `schemas/`, generated at build
//! time by huntreg-codegen.
