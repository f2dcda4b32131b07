//! `huntreg breaking`: the CI gate. Reads two inputs (directories, git commits in buf's
//! syntax, or binary `FileDescriptorSet`s), compiles each module with protox, checks every
//! module pair with huntreg-compat using the input's `buf.yaml` `breaking:` rules, and
//! prints the findings exactly as `buf breaking` does. Exit codes as buf: 0 clean, 100
//! findings (compile errors included, as `COMPILE` findings), 1 unusable input or config.

pub(crate) mod compile;
mod config;
mod input;
pub(crate) mod output;
mod source;

use std::collections::HashSet;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use huntreg_compat::{BreakingConfig, ChangeKind, Finding, Image};
use prost_reflect::DescriptorPool;

use output::{Annotation, Format};
use source::{Loaded, PathFilter, Sources};

/// Arguments of `huntreg breaking` (the same flags as `buf breaking`).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The input to check: a directory, a git reference such as `.git#branch=main,subdir=schemas`,
    /// a binary FileDescriptorSet (`.binpb`), or `-` for one on stdin.
    #[arg(default_value = ".")]
    input: String,
    /// What the input is checked against (same forms as the input).
    #[arg(long)]
    against: String,
    /// The input's buf.yaml: a path, or the YAML itself. Its `breaking:` section chooses the rules.
    #[arg(long)]
    config: Option<String>,
    /// The against side's buf.yaml: a path, or the YAML itself.
    #[arg(long)]
    against_config: Option<String>,
    /// How findings are printed.
    #[arg(long, value_enum, default_value = "text")]
    error_format: Format,
    /// Check only the input's own files, not the files they import.
    #[arg(long)]
    exclude_imports: bool,
    /// Check only these files or directories (as printed in findings); repeatable.
    #[arg(long = "path", value_name = "PATH")]
    paths: Vec<String>,
    /// Leave these files or directories out; repeatable.
    #[arg(long = "exclude-path", value_name = "PATH")]
    exclude_paths: Vec<String>,
    /// Check only against-side files that also exist in the input.
    #[arg(long)]
    limit_to_input_files: bool,
    /// Also print the semantic-version bump the change calls for (major: something
    /// breaks under buf's default FILE rules; minor: something was added; patch: neither)
    /// and the findings that decided it. Given the current version (`--semver=1.4.2`), it
    /// prints the next one too. Exit codes are unchanged.
    #[arg(long, value_name = "CURRENT", num_args = 0..=1, default_missing_value = "", require_equals = true)]
    semver: Option<String>,
}

/// Runs `huntreg breaking`: prints the findings and returns buf's exit code.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let current = match args.semver.as_deref() {
        None | Some("") => None,
        Some(v) => match semver::Version::parse(v.trim_start_matches('v')) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("Failure: --semver={v}: not a semantic version: {e}");
                return Ok(ExitCode::from(1));
            }
        },
    };
    match execute(&args) {
        Ok((annotations, classification)) => {
            // A closed pipe (`| head`) is not an error worth a panic; the exit code still tells.
            let mut rendered = output::render(&annotations, args.error_format);
            if args.semver.is_some() {
                let verdict = output::render_semver(
                    classification.as_ref(),
                    current.as_ref(),
                    args.error_format,
                );
                if args.error_format == Format::Junit {
                    eprint!("{verdict}");
                } else {
                    rendered.push_str(&verdict);
                }
            }
            let mut stdout = std::io::stdout().lock();
            let _ = stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush());
            Ok(ExitCode::from(if annotations.is_empty() { 0 } else { 100 }))
        }
        Err(message) => {
            eprintln!("Failure: {message}");
            Ok(ExitCode::from(1))
        }
    }
}

/// One side of one module pair, ready to compile.
struct Side {
    /// Sources of the side's workspace (empty for an image).
    sources: Vec<Arc<Sources>>,
    /// How the paths of `sources` files are printed.
    paths: source::ExternalPaths,
    /// Which of `sources` is this module.
    index: usize,
    /// Module-relative names to check.
    targets: Vec<String>,
    /// An already compiled image, for FileDescriptorSet inputs.
    image: Option<DescriptorPool>,
}

impl Side {
    /// The source text of file `name`, this module's first.
    fn text(&self, name: &str) -> Option<&str> {
        std::iter::once(self.index)
            .chain(0..self.sources.len())
            .find_map(|i| self.sources.get(i).and_then(|s| s.get(name)))
            .map(String::as_str)
    }

    /// Attaches the source of every editions file: they compile to their proto2 or proto3
    /// equivalent, and compat reads the declared edition from the source.
    fn attach_editions(&self, mut image: Image) -> Image {
        let names: Vec<String> = image.pool().files().map(|f| f.name().to_owned()).collect();
        for name in names {
            if let Some(text) = self.text(&name) {
                if text.contains("edition") {
                    image = image.with_source(name, text);
                }
            }
        }
        image
    }

    /// Columns as buf counts them: a tab advances to the next multiple of 4.
    /// Spans arrive counting every character as one column.
    fn tab_stops(&self, name: &str, span: [u32; 4]) -> [u32; 4] {
        let Some(text) = self.text(name) else {
            return span;
        };
        let column = |line: u32, col: u32| -> u32 {
            let Some(l) = text.lines().nth(line.saturating_sub(1) as usize) else {
                return col;
            };
            if !l.contains('\t') {
                return col;
            }
            let mut visual = 0u32;
            for c in l.chars().take(col.saturating_sub(1) as usize) {
                visual = if c == '\t' {
                    (visual / 4 + 1) * 4
                } else {
                    visual + 1
                };
            }
            visual + 1
        };
        [
            span[0],
            column(span[0], span[1]),
            span[2],
            column(span[2], span[3]),
        ]
    }

    /// Keeps the targets whose printed path satisfies `keep`.
    fn retain_targets(&mut self, keep: impl Fn(&str) -> bool) {
        let kept: Vec<String> = self
            .targets
            .iter()
            .filter(|n| keep(&self.external(n)))
            .cloned()
            .collect();
        self.targets = kept;
    }

    /// The path buf prints for a file of this side: relative to the input as given,
    /// through the module that holds the file (the own module first).
    fn external(&self, name: &str) -> String {
        let holder = std::iter::once(self.index)
            .chain(0..self.sources.len())
            .find(|i| self.sources.get(*i).is_some_and(|s| s.contains_key(name)));
        match holder {
            Some(i) => self.paths.of(i, name),
            None if name.starts_with("google/protobuf/") => name.to_owned(),
            None => self.paths.of(self.index, name),
        }
    }
}

/// A module of the input paired with its counterpart in the against input.
struct Pair {
    input: Side,
    against: Side,
    breaking: BreakingConfig,
}

/// What one input consists of after loading: one unit per module (or one image).
struct Unit {
    key: String,
    side: Side,
    breaking: BreakingConfig,
}

fn units(loaded: Loaded, config: Option<&str>) -> Result<Vec<Unit>, String> {
    match loaded {
        Loaded::Dir(dir) => Ok(dir
            .modules
            .into_iter()
            .map(|m| Unit {
                key: m.key,
                side: Side {
                    sources: dir.sources.clone(),
                    paths: dir.paths.clone(),
                    index: m.index,
                    targets: m.targets,
                    image: None,
                },
                breaking: m.module.breaking,
            })
            .collect()),
        Loaded::Image(set) => {
            let pool = DescriptorPool::from_file_descriptor_set(set)
                .map_err(|e| format!("invalid FileDescriptorSet: {e}"))?;
            let targets = pool.files().map(|f| f.name().to_owned()).collect();
            let breaking = match config {
                Some(text) => {
                    let ws = config::parse_buf_yaml(text, "", "--config")?;
                    let m = ws
                        .modules
                        .into_iter()
                        .next()
                        .ok_or("--config declares no module")?;
                    m.breaking
                }
                None => BreakingConfig::default(),
            };
            Ok(vec![Unit {
                key: String::new(),
                side: Side {
                    sources: Vec::new(),
                    paths: source::ExternalPaths::default(),
                    index: 0,
                    targets,
                    image: Some(pool),
                },
                breaking,
            }])
        }
    }
}

/// Pairs modules by their path in the workspace, else by position, as buf requires equal
/// counts. One exception, as buf 1.55+: an input with more modules than the against side (a
/// module was added) whose modules all share one `breaking:` config keeps only the modules
/// holding a file of an against module, each against module claimed once, and pairs them
/// by position with the against modules.
fn pair(input: Vec<Unit>, against: Vec<Unit>) -> Result<Vec<(Unit, Unit)>, String> {
    let count_error = format!(
        "input contained {} images, whereas against contained {} images",
        input.len(),
        against.len()
    );
    if input.len() > against.len() && input.windows(2).all(|w| w[0].breaking == w[1].breaking) {
        let kept = modules_in_against(input, &against).ok_or(count_error)?;
        return Ok(kept.into_iter().zip(against).collect());
    }
    if input.len() != against.len() {
        return Err(count_error);
    }
    let same_keys = input.iter().all(|i| against.iter().any(|a| a.key == i.key));
    if same_keys && input.len() > 1 {
        let mut against: Vec<Option<Unit>> = against.into_iter().map(Some).collect();
        let mut out = Vec::new();
        for i in input {
            let slot = against
                .iter_mut()
                .find(|a| a.as_ref().is_some_and(|a| a.key == i.key))
                .and_then(Option::take)
                .ok_or("module pairing failed")?;
            out.push((i, slot));
        }
        Ok(out)
    } else {
        Ok(input.into_iter().zip(against).collect())
    }
}

/// The input modules that hold a file of an against module not yet claimed (buf's
/// `filterImageWithConfigsNotInAgainstImages`), or `None` unless every against module is
/// claimed by exactly one of them.
fn modules_in_against(input: Vec<Unit>, against: &[Unit]) -> Option<Vec<Unit>> {
    let mut claimed = vec![false; against.len()];
    let mut kept = Vec::new();
    for unit in input {
        let found = unit.side.targets.iter().find_map(|file| {
            let i = (0..against.len())
                .find(|&i| !claimed[i] && against[i].side.targets.contains(file))?;
            claimed[i] = true;
            Some(i)
        });
        if found.is_some() {
            kept.push(unit);
        }
    }
    (claimed.iter().all(|c| *c) && kept.len() == against.len()).then_some(kept)
}

/// The semver verdict of a whole input: the largest bump of its module pairs, with the
/// reasons of the pairs that reached it.
pub(crate) struct Semver {
    /// The bump.
    pub(crate) kind: ChangeKind,
    /// The findings that decided it, printed as annotations.
    pub(crate) reasons: Vec<Annotation>,
}

/// Loads both sides, checks every module pair, and returns sorted annotations (or a
/// failure), with the semver verdict when `--semver` asks for one and everything compiled.
fn execute(args: &Args) -> Result<(Vec<Annotation>, Option<Semver>), String> {
    let input_spec = input::parse(&args.input)?;
    let against_spec = input::parse(&args.against)?;
    let (input, against) = std::thread::scope(|s| {
        let a = s.spawn(|| source::load(&against_spec, args.against_config.as_deref()));
        let i = source::load(&input_spec, args.config.as_deref());
        (
            i,
            a.join()
                .unwrap_or_else(|_| Err("reading the against input failed".to_owned())),
        )
    });
    let input_config = match (&input_spec, args.config.as_deref()) {
        (input::InputSpec::Image(_) | input::InputSpec::Stdin, Some(c)) => {
            Some(source::config_text(c)?)
        }
        _ => None,
    };
    let against_config = match (&against_spec, args.against_config.as_deref()) {
        (input::InputSpec::Image(_) | input::InputSpec::Stdin, Some(c)) => {
            Some(source::config_text(c)?)
        }
        _ => None,
    };
    let input = units(input?, input_config.as_deref())?;
    let against = units(against?, against_config.as_deref())?;
    let filter = PathFilter::new(&args.paths, &args.exclude_paths);
    let mut pairs = Vec::new();
    for (mut i, mut a) in pair(input, against)? {
        // Like buf, `--path` and `--exclude-path` apply to each side's own printed paths.
        i.side.retain_targets(|p| filter.keeps(p));
        a.side.retain_targets(|p| filter.keeps(p));
        pairs.push(Pair {
            input: i.side,
            against: a.side,
            breaking: i.breaking,
        });
    }
    if args.limit_to_input_files {
        // The against side keeps the files whose printed path the input has.
        let input_paths: HashSet<String> = pairs
            .iter()
            .flat_map(|p| p.input.targets.iter().map(|n| p.input.external(n)))
            .collect();
        for p in &mut pairs {
            p.against.retain_targets(|path| input_paths.contains(path));
        }
    }
    let filtered =
        !args.paths.is_empty() || !args.exclude_paths.is_empty() || args.limit_to_input_files;
    let empty = |side: fn(&Pair) -> &Side| pairs.iter().all(|p| side(p).targets.is_empty());
    if filtered && (empty(|p| &p.input) || empty(|p| &p.against)) {
        return Err("no .proto files were targeted. This can occur if no .proto files are found in your input, --path points to files that do not exist, or --exclude-path excludes all files.".to_owned());
    }
    // `--semver` locates additions in the against side, which then needs its spans too.
    let compiled = compile_all(&pairs, args.semver.is_some());
    let mut annotations = Vec::new();
    let mut images = Vec::with_capacity(pairs.len());
    for (pair, (input, against)) in pairs.iter().zip(compiled) {
        match (input, against) {
            (Ok(i), Ok(a)) => images.push(Some((i, a))),
            (i, a) => {
                for (err, side) in [(i.err(), &pair.input), (a.err(), &pair.against)] {
                    if let Some(err) = err {
                        let span = match &err.file {
                            Some(f) => side.tab_stops(f, err.span),
                            None => err.span,
                        };
                        annotations.push(Annotation {
                            path: err.file.map(|f| side.external(&f)),
                            span,
                            rule: "COMPILE".to_owned(),
                            message: err.message,
                        });
                    }
                }
                images.push(None);
            }
        }
    }
    if !annotations.is_empty() {
        output::sort_dedup(&mut annotations);
        return Ok((annotations, None));
    }
    let mut verdict = Semver {
        kind: ChangeKind::Patch,
        reasons: Vec::new(),
    };
    // Freeing large descriptor pools costs more than checking them, and the process ends
    // right after printing: the pools are handed back to the OS with it.
    let mut finished = Vec::with_capacity(pairs.len());
    for (pair, images) in pairs.iter().zip(images) {
        let Some((input, against)) = images else {
            continue;
        };
        // Like buf without --exclude-imports, imports are checked too.
        let targets = |side: &Side, pool: &DescriptorPool| -> Vec<String> {
            if args.exclude_imports {
                side.targets.clone()
            } else {
                pool.files().map(|f| f.name().to_owned()).collect()
            }
        };
        let input_targets = targets(&pair.input, &input);
        let against_targets = targets(&pair.against, &against);
        let input_image = pair
            .input
            .attach_editions(Image::with_targets(input, input_targets));
        let against_image = pair
            .against
            .attach_editions(Image::with_targets(against, against_targets));
        // The input's configuration chooses the rules and drops ignored findings.
        let report = pair.breaking.check(&against_image, &input_image);
        if args.semver.is_some() {
            let why = huntreg_compat::explain(&against_image, &input_image);
            // Minor reasons come from the swapped check and sit in the against image.
            let side = if why.kind == ChangeKind::Minor {
                &pair.against
            } else {
                &pair.input
            };
            let reasons = why.reasons.into_iter().map(|f| annotation(f, side));
            match why.kind.cmp(&verdict.kind) {
                std::cmp::Ordering::Greater => {
                    verdict.kind = why.kind;
                    verdict.reasons = reasons.collect();
                }
                std::cmp::Ordering::Equal => verdict.reasons.extend(reasons),
                std::cmp::Ordering::Less => {}
            }
        }
        annotations.extend(
            report
                .findings
                .into_iter()
                .map(|f| annotation(f, &pair.input)),
        );
        finished.push((input_image, against_image));
    }
    std::mem::forget(finished);
    output::sort_dedup(&mut annotations);
    output::sort_dedup(&mut verdict.reasons);
    Ok((annotations, args.semver.is_some().then_some(verdict)))
}

type Compiled = Result<DescriptorPool, compile::CompileError>;

/// Compiles both sides of every pair on all cores (input sides with source info, against
/// sides too when `against_spans`).
fn compile_all(pairs: &[Pair], against_spans: bool) -> Vec<(Compiled, Compiled)> {
    let jobs: Vec<(&Side, bool)> = pairs
        .iter()
        .flat_map(|p| [(&p.input, true), (&p.against, against_spans)])
        .collect();
    let results: Vec<Mutex<Option<Compiled>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(jobs.len())
        .max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some((side, source_info)) = jobs.get(n) else {
                    break;
                };
                let result = match &side.image {
                    Some(pool) => Ok(pool.clone()),
                    None => {
                        compile::compile(&side.sources, side.index, &side.targets, *source_info)
                    }
                };
                if let Ok(mut slot) = results[n].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    let mut out: Vec<Compiled> = results
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(compile::CompileError {
                    file: None,
                    span: [0; 4],
                    message: "compilation did not finish".to_owned(),
                })
            })
        })
        .collect();
    let mut pairs_out = Vec::with_capacity(pairs.len());
    while out.len() >= 2 {
        let against = out.remove(1);
        let input = out.remove(0);
        pairs_out.push((input, against));
    }
    pairs_out
}

fn annotation(f: Finding, side: &Side) -> Annotation {
    let (path, span) = match f.location {
        Some(l) => (
            Some(side.external(&l.file)),
            l.span.map_or([0; 4], |s| {
                side.tab_stops(
                    &l.file,
                    [s.start_line, s.start_column, s.end_line, s.end_column],
                )
            }),
        ),
        None => (None, [0; 4]),
    };
    Annotation {
        path,
        span,
        rule: f.rule.to_owned(),
        message: f.message,
    }
}
