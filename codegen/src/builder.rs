//! `Builder`: the build.rs entry point. Picks the schema source (lockfile, live
//! registry, or a `.proto` directory), generates (pure: data in, strings out), and
//! writes (only what changed), printing the `cargo:rerun-if-*` lines that cover exactly
//! the inputs it read.

use std::path::{Path, PathBuf};

use huntreg_compat::{Category, RuleSet};

use crate::error::{Error, ErrorKind};
use crate::ident::{hunt_module, hunt_name};
use crate::lockfile::{LockedHunt, StoredHunt, StoredLockfile, StoredTexts};
use crate::model::HuntModel;
use crate::plan::Plan;
use crate::registry::Registry;
use crate::render::{load_templates, prost_types, render_hunt};
use crate::write::write_if_changed;
use huntreg_client::Credentials;

/// The environment variable naming a live registry, used when no lockfile exists.
pub const REGISTRY_ENV: &str = "HUNTREG_URL";

/// The environment variable with `user:password` HTTP Basic credentials for the live
/// registry (the same variable `huntreg pull`, `push` and `check` read).
pub const USER_INFO_ENV: &str = "HUNTREG_USER_INFO";

/// The environment variable with a bearer token for the live registry (instead of
/// [`USER_INFO_ENV`]).
pub const TOKEN_ENV: &str = "HUNTREG_TOKEN";

/// The path generated code names prost by: huntreg-runtime's re-export, so a consumer
/// crate depends on huntreg-runtime alone (no `prost` of its own to keep in step).
pub const PROST_PATH: &str = "::huntreg_runtime::prost";

/// The path generated code names the well-known types by (`google.protobuf.*`):
/// huntreg-runtime's re-export of prost-types.
pub const PROST_TYPES_PATH: &str = "::huntreg_runtime::prost_types";

/// The path generated code names the well-known types by when [`Builder::json`] is on:
/// huntreg-runtime's re-export of pbjson-types (prost types with proto3 JSON serde impls).
pub const PBJSON_TYPES_PATH: &str = "::huntreg_runtime::json::pbjson_types";

/// Points `config` at huntreg-runtime's re-exports of prost and prost-types (pbjson-types
/// with `json`).
fn runtime_paths(config: &mut prost_build::Config, json: bool) {
    config.prost_path(PROST_PATH).prost_types_path(if json {
        PBJSON_TYPES_PATH
    } else {
        PROST_TYPES_PATH
    });
}

/// One generated file: a name relative to the output directory and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name, e.g. `hunt_42.rs`.
    pub name: String,
    /// The complete Rust source, starting with the `@generated` header.
    pub content: String,
}

/// Generates a hunt's typed decoders. Configure with `&mut self` setters, then call
/// [`Builder::compile`] from `build.rs` (or [`Builder::generate`] to get the code
/// without touching the file system).
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), huntreg_codegen::Error> {
///     huntreg_codegen::Builder::new()
///         .lockfile("schemas/huntreg.lock")
///         .hunt("hunt-42")
///         .compile()
/// }
/// ```
#[derive(Debug)]
pub struct Builder {
    hunt: Option<String>,
    lockfile: Option<PathBuf>,
    registry: Option<String>,
    schemas_dir: Option<PathBuf>,
    templates_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    module: Option<String>,
    rules: RuleSet,
    prost: prost_build::Config,
    emit_rerun: bool,
    index_free_fallback: bool,
    json: bool,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

/// The schemas a build reads, once resolved.
#[derive(Debug)]
enum Source {
    Locked {
        hunt: LockedHunt,
        origin: String,
    },
    /// A lockfile's hunt as written: only the texts the build compiles are rebuilt.
    Stored {
        hunt: StoredHunt,
        path: Option<PathBuf>,
        origin: String,
    },
    Dir(PathBuf),
}

impl Builder {
    /// A builder with the defaults: WIRE rules for the build-time check, built-in
    /// templates, output to `$OUT_DIR`.
    pub fn new() -> Builder {
        Builder {
            hunt: None,
            lockfile: None,
            registry: None,
            schemas_dir: None,
            templates_dir: None,
            out_dir: None,
            module: None,
            rules: RuleSet::category(Category::Wire),
            prost: {
                let mut config = prost_build::Config::new();
                runtime_paths(&mut config, false);
                config
            },
            emit_rerun: true,
            index_free_fallback: true,
            json: false,
        }
    }

    /// The hunt to generate (its Confluent context, without the leading dot), or
    /// [`crate::DEFAULT_CONTEXT`] (`.`) for the default context, whose file and module are
    /// `default_context`. Required.
    pub fn hunt(&mut self, hunt: impl Into<String>) -> &mut Self {
        self.hunt = Some(hunt_name(&hunt.into()));
        self
    }

    /// The committed lockfile. When the file exists it is the only source: builds are
    /// offline and reproducible.
    pub fn lockfile(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.lockfile = Some(path.into());
        self
    }

    /// A registry to read when no lockfile exists (overrides `$HUNTREG_URL`).
    pub fn registry(&mut self, url: impl Into<String>) -> &mut Self {
        self.registry = Some(url.into());
        self
    }

    /// A directory of `.proto` files to build from when neither a lockfile nor a registry
    /// is available. Types and `Event` only: without a registry there are no schema IDs.
    pub fn schemas_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.schemas_dir = Some(dir.into());
        self
    }

    /// A directory whose `*.tera` files replace the built-in templates of the same name.
    pub fn templates_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.templates_dir = Some(dir.into());
        self
    }

    /// Where [`Builder::compile`] writes (default: `$OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The generated file's stem (default: the hunt in snake case, `hunt_42`).
    pub fn module_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.module = Some(name.into());
        self
    }

    /// The rules proving the newest types read every registered version (default: buf's
    /// WIRE category), applied as `BACKWARD_TRANSITIVE` by `huntreg_compat::check_level`.
    pub fn rules(&mut self, rules: RuleSet) -> &mut Self {
        self.rules = rules;
        self
    }

    /// The prost-build configuration for the message types (attributes, `bytes`, ...).
    /// Its prost and prost-types paths are set to huntreg-runtime's re-exports
    /// ([`PROST_PATH`], [`PROST_TYPES_PATH`]); change them afterwards with
    /// [`Builder::configure`] if the consumer crate brings its own prost.
    pub fn prost_config(&mut self, mut config: prost_build::Config) -> &mut Self {
        runtime_paths(&mut config, self.json);
        self.prost = config;
        self
    }

    /// Gives mutable access to the prost-build configuration (by default it names prost
    /// and the well-known types through huntreg-runtime: [`PROST_PATH`],
    /// [`PROST_TYPES_PATH`]).
    pub fn configure(&mut self, f: impl FnOnce(&mut prost_build::Config)) -> &mut Self {
        f(&mut self.prost);
        self
    }

    /// Whether the generated `decode` and `decode_with` also read records without a
    /// message-index section, as @kafkajs/confluent-schema-registry writes them (default:
    /// true). Such a record decodes as its schema's first message and reports
    /// `huntreg_runtime::Framing::IndexFree`; the byte after the schema ID tells the two
    /// framings apart, and the schema's index paths 4 or more deep settle the rest.
    ///
    /// `false` generates Confluent-only decoders: a record without an index section is a
    /// framing error (or, if its first bytes happen to parse as one, a dispatch or payload
    /// error), as before the fallback existed.
    pub fn index_free_fallback(&mut self, yes: bool) -> &mut Self {
        self.index_free_fallback = yes;
        self
    }

    /// Whether the generated message types also implement serde's `Serialize` and
    /// `Deserialize` in proto3 JSON form (default: false), with pbjson-build: field names
    /// in lowerCamelCase, enums by name, 64-bit integers and bytes as strings, well-known
    /// types in their JSON forms (`Timestamp` as RFC 3339). The consumer enables
    /// huntreg-runtime's `json` feature; the well-known types are then pbjson-types'
    /// ([`PBJSON_TYPES_PATH`]) instead of prost-types'.
    pub fn json(&mut self, yes: bool) -> &mut Self {
        self.json = yes;
        runtime_paths(&mut self.prost, yes);
        self
    }

    /// Whether [`Builder::compile`] prints `cargo:rerun-if-*` lines (default: true).
    pub fn emit_rerun_if_changed(&mut self, yes: bool) -> &mut Self {
        self.emit_rerun = yes;
        self
    }

    fn hunt_name(&self) -> Result<&str, Error> {
        self.hunt
            .as_deref()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| {
                ErrorKind::Config(
                    "no hunt: call `.hunt(\"hunt-42\")`, or `.hunt(\".\")` for the default context"
                        .to_owned(),
                )
                .into()
            })
    }

    fn file_name(&self, hunt: &str) -> String {
        format!(
            "{}.rs",
            self.module.clone().unwrap_or_else(|| hunt_module(hunt))
        )
    }

    /// Generates the hunt's code from its registered versions. Pure apart from reading
    /// a custom templates directory: no network, no writes.
    pub fn generate(&mut self, locked: &LockedHunt) -> Result<Vec<GeneratedFile>, Error> {
        let origin = format!("the registered versions of hunt {}", locked.hunt);
        self.generate_source(&Source::Locked {
            hunt: locked.clone(),
            origin,
        })
        .map(|(files, _)| files)
    }

    /// [`Builder::generate`] from a hunt as the lockfile stores it: only the texts the
    /// build compiles are rebuilt from their patches (what `huntreg pull`'s build check
    /// runs).
    pub fn generate_stored(&mut self, stored: &StoredHunt) -> Result<Vec<GeneratedFile>, Error> {
        let origin = format!("the registered versions of hunt {}", stored.name());
        self.generate_source(&Source::Stored {
            hunt: stored.clone(),
            path: None,
            origin,
        })
        .map(|(files, _)| files)
    }

    /// Generates types and `Event` (no IDs) from a directory of `.proto` files.
    pub fn generate_dir(&mut self, dir: &Path) -> Result<Vec<GeneratedFile>, Error> {
        self.generate_source(&Source::Dir(dir.to_owned()))
            .map(|(files, _)| files)
    }

    fn generate_source(
        &mut self,
        source: &Source,
    ) -> Result<(Vec<GeneratedFile>, Vec<PathBuf>), Error> {
        let same_hunt = |name: &str| match &self.hunt {
            Some(expected) if expected != name => Err(Error::from(ErrorKind::Config(format!(
                "builder is for hunt {expected} but the versions given are hunt {name}"
            )))),
            _ => Ok(()),
        };
        let (plan, origin) = match source {
            Source::Locked { hunt, origin } => {
                same_hunt(&hunt.hunt)?;
                let texts = |subject: &str, version: u32| hunt.text(subject, version);
                (
                    Plan::from_locked(hunt, &texts, &self.rules)?,
                    origin.clone(),
                )
            }
            Source::Stored { hunt, path, origin } => {
                same_hunt(hunt.name())?;
                let pins = hunt.pins().map_err(|e| match path {
                    Some(path) => e.in_file(path),
                    None => e,
                })?;
                let stored = StoredTexts::new(hunt, path.as_deref());
                let texts = |subject: &str, version: u32| stored.text(subject, version);
                (
                    Plan::from_locked(&pins, &texts, &self.rules)?,
                    origin.clone(),
                )
            }
            Source::Dir(dir) => (
                Plan::from_dir(self.hunt_name()?, dir)?,
                format!("the .proto files of {}", dir.display()),
            ),
        };
        let (tera, mut inputs) = load_templates(&plan.hunt, self.templates_dir.as_deref())?;
        let mut model = HuntModel::new(&plan, origin)?;
        model.index_free_fallback = self.index_free_fallback;
        model.types = prost_types(&plan.hunt, &plan.current.fds, &mut self.prost, self.json)?;
        let content = render_hunt(&tera, &model)?;
        inputs.extend(plan.inputs.iter().cloned());
        Ok((
            vec![GeneratedFile {
                name: self.file_name(&plan.hunt),
                content,
            }],
            inputs,
        ))
    }

    /// Resolves the source, generates, writes `{out_dir}/{module}.rs` if it changed, and
    /// prints `cargo:rerun-if-changed` for every input read (lockfile, templates, proto
    /// files) and `cargo:rerun-if-env-changed` for `HUNTREG_URL` and the credentials'
    /// variables.
    ///
    /// Source order: the lockfile when it exists; else the registry (`.registry(..)` or
    /// `$HUNTREG_URL`, with `$HUNTREG_USER_INFO` or `$HUNTREG_TOKEN` as credentials when
    /// set); else the schema directory; else an error naming the hunt.
    pub fn compile(&mut self) -> Result<(), Error> {
        let hunt = self.hunt_name()?.to_owned();
        let mut rerun: Vec<PathBuf> = Vec::new();
        let source = self.resolve_source(&hunt, &mut rerun)?;
        let (files, inputs) = self.generate_source(&source)?;
        rerun.extend(inputs);
        if let Some(dir) = &self.templates_dir {
            rerun.push(dir.clone());
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    ErrorKind::Config(
                        "OUT_DIR is not set (not in a build script?): call `.out_dir(..)`"
                            .to_owned(),
                    )
                })?,
        };
        for file in &files {
            write_if_changed(&out_dir.join(&file.name), &file.content)?;
        }
        if self.emit_rerun {
            rerun.sort();
            rerun.dedup();
            for path in &rerun {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            for var in [REGISTRY_ENV, USER_INFO_ENV, TOKEN_ENV] {
                println!("cargo:rerun-if-env-changed={var}");
            }
        }
        Ok(())
    }

    fn resolve_source(&self, hunt: &str, rerun: &mut Vec<PathBuf>) -> Result<Source, Error> {
        if let Some(path) = &self.lockfile {
            if path.exists() {
                rerun.push(path.clone());
                // Read as written: the build rebuilds only the texts it compiles.
                let lockfile = StoredLockfile::read(path)?;
                let locked = lockfile
                    .hunt(hunt)
                    .ok_or_else(|| ErrorKind::HuntNotInLockfile {
                        hunt: hunt.to_owned(),
                        path: path.clone(),
                    })?;
                return Ok(Source::Stored {
                    hunt: locked.clone(),
                    path: Some(path.clone()),
                    origin: format!("the lockfile {}", path.display()),
                });
            }
            // Watch the directory so creating the lockfile triggers a rebuild.
            if let Some(parent) = path.parent().filter(|p| p.is_dir()) {
                rerun.push(parent.to_owned());
            }
        }
        let url = self
            .registry
            .clone()
            .or_else(|| std::env::var(REGISTRY_ENV).ok().filter(|u| !u.is_empty()));
        if let Some(url) = url {
            let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            let credentials =
                Credentials::from_flags(env(USER_INFO_ENV), env(TOKEN_ENV)).map_err(|e| {
                    ErrorKind::Registry {
                        hunt: hunt.to_owned(),
                        url: url.clone(),
                        message: format!("${USER_INFO_ENV} / ${TOKEN_ENV}: {e}"),
                    }
                })?;
            let registry = Registry::new(&url).with_credentials(&credentials);
            let locked = registry.fetch_hunt(hunt)?;
            if locked.subjects.is_empty() {
                return Err(ErrorKind::Registry {
                    hunt: hunt.to_owned(),
                    url,
                    message: "the hunt has no subjects".to_owned(),
                }
                .into());
            }
            return Ok(Source::Locked {
                hunt: locked,
                origin: format!("the registry {url}"),
            });
        }
        if let Some(dir) = &self.schemas_dir {
            if dir.is_dir() {
                rerun.push(dir.clone());
                return Ok(Source::Dir(dir.clone()));
            }
        }
        let lockfile = self
            .lockfile
            .as_ref()
            .map(|p| format!("no lockfile at {}", p.display()))
            .unwrap_or_else(|| "no lockfile configured".to_owned());
        Err(ErrorKind::NoSource {
            hunt: hunt.to_owned(),
            detail: format!("{lockfile}, {REGISTRY_ENV} is not set, and no schema directory"),
        }
        .into())
    }
}
