//! `huntreg push`: registers a hunt's `.proto` files with a registry, one subject per
//! file named by the file's path in the hunt directory (`treasure/v1/common.proto` is
//! subject `:.{hunt}:treasure/v1/common.proto`). Imports are registered first and
//! referenced by that same name, which is the subject name the Confluent serializers give
//! imports, so a producer registering the same file lands on the same subject and ID.
//! Well-known imports (`google/protobuf/*`, `google/type/*`, `confluent/*`) are never
//! registered: registries bundle them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use huntreg_codegen::Reference;

use crate::remote::RegistryArgs;

/// Arguments of `huntreg push`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The hunt's directory of `.proto` files, e.g. `schemas/hunt-42`.
    dir: PathBuf,
    #[command(flatten)]
    remote: RegistryArgs,
    /// The hunt (Confluent context) to register into; defaults to the directory's name.
    #[arg(long)]
    hunt: Option<String>,
}

/// The hunt a directory's files belong to: `--hunt` without its leading dot, else the
/// directory's name.
pub(crate) fn hunt_name(dir: &Path, hunt: Option<&str>) -> anyhow::Result<String> {
    match hunt {
        Some(hunt) => Ok(hunt.trim_start_matches('.').to_owned()),
        None => dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .context("cannot name the hunt after the directory: pass --hunt"),
    }
}

/// Imports every registry bundles, never registered or referenced.
pub(crate) fn is_well_known(import: &str) -> bool {
    ["google/protobuf/", "google/type/", "confluent/"]
        .iter()
        .any(|p| import.starts_with(p))
}

/// Every `.proto` file under `dir`, recursively.
pub(crate) fn protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs `huntreg push`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let hunt = hunt_name(&args.dir, args.hunt.as_deref())?;
    let mut paths = Vec::new();
    protos(&args.dir, &mut paths).with_context(|| format!("reading {}", args.dir.display()))?;
    paths.sort();
    if paths.is_empty() {
        bail!("{}: no .proto files", args.dir.display());
    }
    // Compile first: nothing is registered unless the whole hunt compiles.
    let mut compiler = protox::Compiler::new([&args.dir])?;
    compiler
        .open_files(&paths)
        .map_err(|e| anyhow::anyhow!("{:?}", miette::Report::new(e)))?;
    let pool = compiler.descriptor_pool();

    let registry = args.remote.codegen_registry()?;
    let mut versions: BTreeMap<String, u32> = BTreeMap::new();
    // `files()` lists imports before the files importing them.
    for file in compiler.files() {
        let name = file.name().to_owned();
        if is_well_known(&name) {
            continue;
        }
        let Some(path) = file.path() else { continue };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut references = Vec::new();
        if let Some(descriptor) = pool.get_file_by_name(&name) {
            for import in descriptor.dependencies() {
                let import = import.name();
                if is_well_known(import) {
                    continue;
                }
                let version = versions
                    .get(import)
                    .copied()
                    .with_context(|| format!("{name}: import {import} was not registered first"))?;
                references.push(Reference {
                    name: import.to_owned(),
                    subject: import.to_owned(),
                    version,
                });
            }
        }
        let registered = registry.register(&hunt, &name, &text, &references)?;
        println!(
            ":.{hunt}:{name} version {} (schema ID {})",
            registered.version, registered.id
        );
        versions.insert(name, registered.version);
    }
    Ok(ExitCode::SUCCESS)
}
