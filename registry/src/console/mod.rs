//! The web console at `/ui/`: hunts, subjects, versions, the diff between any two versions
//! with its compatibility findings on their lines, a dry-run form and an ID lookup, as
//! server-rendered HTML (tera templates in `registry/console/`) behind the API's auth.
//!
//! The auth layer places `/ui/hunts/{ctx}/…` in that hunt (a read); the pages that span
//! hunts (the hunt list, the ID lookup) need no grant of their own and show only what the
//! caller's grants let it read, counts included.

mod view;

use std::sync::{Arc, OnceLock};

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use huntreg_compat::{
    check_level, explain, Category, ChangeKind, Direction, Finding, Image, Level, RuleSet, RULES,
};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use tera::Tera;

use crate::app::{decode_descriptor, App, ReferenceRequest, SchemaRequest};
use crate::auth::{Action, Caller, Scope};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::schema::{self, Input};
use crate::store::{SchemaRecord, VersionRecord};
use crate::types::{Context, Subject, Version};

use view::{context_label, hex_id, hunt_href, subject_href};

/// Subjects on one page of a hunt.
const SUBJECTS_PER_PAGE: usize = 100;
/// Versions on one page of a subject's timeline.
const VERSIONS_PER_PAGE: usize = 50;
/// Unchanged lines shown around each change of a diff.
const DIFF_CONTEXT: usize = 6;

fn templates() -> &'static Tera {
    static TERA: OnceLock<Tera> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut tera = Tera::default();
        tera.add_raw_templates([
            ("base.html", include_str!("../../console/base.html")),
            ("pager.html", include_str!("../../console/pager.html")),
            ("findings.html", include_str!("../../console/findings.html")),
            ("index.html", include_str!("../../console/index.html")),
            ("hunt.html", include_str!("../../console/hunt.html")),
            ("subject.html", include_str!("../../console/subject.html")),
            ("version.html", include_str!("../../console/version.html")),
            ("diff.html", include_str!("../../console/diff.html")),
            ("check.html", include_str!("../../console/check.html")),
            ("ids.html", include_str!("../../console/ids.html")),
            ("rules.html", include_str!("../../console/rules.html")),
            ("error.html", include_str!("../../console/error.html")),
        ])
        .expect("console templates parse");
        // Escape what HTML needs; tera's default also escapes `/`, which makes every link
        // unreadable in the page source.
        tera.set_escape_fn(view::escape_html);
        tera
    })
}

/// A page that could not be shown, rendered as HTML with its status.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    fn not_found(message: impl Into<String>) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        let status = e.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %e, "console page failed");
            "The registry could not answer; the cause is in its log.".to_owned()
        } else {
            e.to_string()
        };
        PageError { status, message }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut cx = tera::Context::new();
        cx.insert("status", &self.status.as_u16());
        cx.insert("message", &self.message);
        let body = render("error.html", cx, Vec::new())
            .map(|h| h.0)
            .unwrap_or_else(|e| e.message);
        (self.status, Html(body)).into_response()
    }
}

/// A breadcrumb.
#[derive(Debug, Serialize)]
struct Crumb {
    label: String,
    href: Option<String>,
}

fn crumbs_for(
    ctx: Option<&Context>,
    subject: Option<&Subject>,
    last: Option<String>,
) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb {
        label: "Hunts".into(),
        href: Some("/ui".into()),
    }];
    if let Some(ctx) = ctx {
        crumbs.push(Crumb {
            label: context_label(ctx),
            href: Some(hunt_href(ctx)),
        });
    }
    if let Some(s) = subject {
        crumbs.push(Crumb {
            label: s.name.clone(),
            href: Some(subject_href(s)),
        });
    }
    if let Some(last) = last {
        crumbs.push(Crumb {
            label: last,
            href: None,
        });
    }
    if let Some(c) = crumbs.last_mut() {
        c.href = None;
    }
    crumbs
}

fn render(
    name: &str,
    mut cx: tera::Context,
    crumbs: Vec<Crumb>,
) -> Result<Html<String>, PageError> {
    cx.insert("crumbs", &crumbs);
    cx.insert("huntreg_version", env!("CARGO_PKG_VERSION"));
    templates().render(name, &cx).map(Html).map_err(|e| {
        tracing::error!(error = ?e, template = name, "console template failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The page could not be rendered; the cause is in the registry's log.".into(),
        }
    })
}

/// Runs blocking store and compiler work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("page task failed: {e}"),
        })?
}

fn parse_context(raw: &str) -> Result<Context, PageError> {
    let ctx = Context::parse(raw).map_err(|_| PageError::not_found(format!("No hunt {raw:?}.")))?;
    if ctx.is_global() {
        return Err(PageError::not_found(
            "The global context holds no subjects.",
        ));
    }
    Ok(ctx)
}

/// The contexts the caller may read: the default one and every named one.
fn readable_contexts(app: &App, caller: &Caller) -> Result<Vec<Context>, PageError> {
    let mut all = vec![Context::default_context()];
    all.extend(app.store.contexts().map_err(ApiError::from)?);
    Ok(all
        .into_iter()
        .filter(|c| !c.is_global() && caller.may(Action::Read, &Scope::of_context(c)))
        .collect())
}

/// `GET /static/{file}`: the stylesheet and the script.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (
            include_str!("../../console/console.css"),
            "text/css; charset=utf-8",
        ),
        "console.js" => (
            include_str!("../../console/console.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return PageError::not_found("No such file.").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Serialize)]
struct HuntRow {
    label: String,
    context: String,
    href: String,
    subjects: usize,
}

/// `GET /ui`: the hunts the caller may read.
pub(crate) async fn index(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<Html<String>, PageError> {
    let app = s.0.clone();
    let hunts = blocking(move || {
        let mut rows = Vec::new();
        for ctx in readable_contexts(&app, &caller)? {
            let subjects = app.store.subjects(Some(&ctx)).map_err(ApiError::from)?;
            if ctx.is_default() && subjects.is_empty() {
                continue;
            }
            rows.push(HuntRow {
                label: context_label(&ctx),
                context: ctx.display_name().to_owned(),
                href: hunt_href(&ctx),
                subjects: subjects.len(),
            });
        }
        Ok(rows)
    })
    .await?;
    let mut cx = tera::Context::new();
    cx.insert("hunts", &hunts);
    render("index.html", cx, Vec::new())
}

/// `?page=N`.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    fn number(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
}

#[derive(Debug, Serialize)]
struct SubjectRow {
    name: String,
    registered: Option<String>,
    href: String,
    live: bool,
    versions: usize,
    latest: Option<u32>,
    id: Option<u32>,
    hex: Option<String>,
    change: String,
    diff: Option<String>,
    level: &'static str,
    mode: &'static str,
}

#[derive(Debug, Serialize)]
struct HuntView {
    label: String,
    context: String,
    href: String,
    level: &'static str,
    mode: &'static str,
}

fn hunt_view(app: &App, ctx: &Context) -> Result<HuntView, PageError> {
    let scope = Subject::new(ctx.clone(), "");
    Ok(HuntView {
        label: context_label(ctx),
        context: ctx.display_name().to_owned(),
        href: hunt_href(ctx),
        level: app.effective_config(&scope)?.0.as_str(),
        mode: app.effective_mode(&scope)?.as_str(),
    })
}

/// The live versions of a list, oldest first.
fn live(
    versions: &[(u32, VersionRecord)],
) -> impl DoubleEndedIterator<Item = &(u32, VersionRecord)> {
    versions.iter().filter(|(_, r)| !r.deleted)
}

/// `GET /ui/hunts/{hunt}`: the hunt's subjects.
pub(crate) async fn hunt(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    let ctx = parse_context(&raw)?;
    let app = s.0.clone();
    let number = q.number();
    let c = ctx.clone();
    let (hunt, subjects, page) = blocking(move || {
        let ctx = c;
        let hunt = hunt_view(&app, &ctx)?;
        let all = app.store.subjects(Some(&ctx)).map_err(ApiError::from)?;
        let page = view::page(all.len(), SUBJECTS_PER_PAGE, number, &hunt.href);
        let mut rows = Vec::with_capacity(page.range.len());
        for (subject, has_live) in &all[page.range.clone()] {
            let versions = app.store.versions(subject).map_err(ApiError::from)?;
            let mut newest = live(&versions).rev();
            let latest = newest.next().or_else(|| versions.last());
            let previous = newest.next();
            let href = subject_href(subject);
            let (change, diff) = match (previous, latest) {
                (Some((p, _)), Some((l, _))) => (
                    format!("v{p} → v{l}"),
                    Some(format!("{href}/diff?from={p}&to={l}")),
                ),
                (None, Some((l, _))) => (format!("v{l} (first)"), None),
                _ => (String::new(), None),
            };
            rows.push(SubjectRow {
                name: subject.name.clone(),
                registered: latest.and_then(|(_, r)| r.registered_ms).map(view::utc),
                href,
                live: *has_live,
                versions: versions.len(),
                latest: latest.map(|(v, _)| *v),
                id: latest.map(|(_, r)| r.id),
                hex: latest.map(|(_, r)| hex_id(r.id)),
                change,
                diff,
                level: app.effective_config(subject)?.0.as_str(),
                mode: app.effective_mode(subject)?.as_str(),
            });
        }
        Ok((hunt, rows, page))
    })
    .await?;
    let mut cx = tera::Context::new();
    cx.insert("hunt", &hunt);
    cx.insert("subjects", &subjects);
    cx.insert("page", &page);
    render("hunt.html", cx, crumbs_for(Some(&ctx), None, None))
}

#[derive(Debug, Serialize)]
struct RefView {
    name: String,
    subject: String,
    version: u32,
    href: String,
}

fn references(subject: &Subject, record: &SchemaRecord) -> Vec<RefView> {
    record
        .references
        .iter()
        .map(|r| {
            let href = subject
                .qualify_reference(&r.subject)
                .map(|target| format!("{}/versions/{}", subject_href(&target), r.version))
                .unwrap_or_default();
            RefView {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: r.version,
                href,
            }
        })
        .collect()
}

fn record(app: &App, ctx: &Context, id: u32) -> Result<Arc<SchemaRecord>, PageError> {
    app.schema_record(ctx, id)?
        .ok_or_else(|| PageError::not_found(format!("Schema ID {id} is not stored.")))
}

#[derive(Debug, Serialize)]
struct SubjectView {
    name: String,
    href: String,
    level: &'static str,
    mode: &'static str,
}

fn subject_of(raw_hunt: &str, name: String) -> Result<Subject, PageError> {
    Ok(Subject::new(parse_context(raw_hunt)?, name))
}

fn subject_versions(app: &App, subject: &Subject) -> Result<Vec<(u32, VersionRecord)>, PageError> {
    let versions = app.store.versions(subject).map_err(ApiError::from)?;
    if versions.is_empty() {
        return Err(PageError::not_found(format!(
            "No subject {:?} in {}.",
            subject.name,
            context_label(&subject.context)
        )));
    }
    Ok(versions)
}

/// `GET /ui/hunts/{hunt}/subjects/{subject}`: the subject's versions, newest first.
pub(crate) async fn subject(
    State(s): State<AppState>,
    Path((raw, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, PageError> {
    let subject = subject_of(&raw, name)?;
    let app = s.0.clone();
    let number = q.number();
    let sub = subject.clone();
    let (hunt, view, rows, page) = blocking(move || {
        let subject = sub;
        let versions = subject_versions(&app, &subject)?;
        let href = subject_href(&subject);
        let page = view::page(versions.len(), VERSIONS_PER_PAGE, number, &href);
        let newest_first: Vec<&(u32, VersionRecord)> = versions.iter().rev().collect();
        let mut rows = Vec::with_capacity(page.range.len());
        for &&(version, rec) in &newest_first[page.range.clone()] {
            let record = record(&app, &subject.context, rec.id)?;
            rows.push(VersionView::new(
                &subject, &versions, version, &rec, &record,
            ));
        }
        let view = SubjectView {
            name: subject.name.clone(),
            href,
            level: app.effective_config(&subject)?.0.as_str(),
            mode: app.effective_mode(&subject)?.as_str(),
        };
        Ok((hunt_view(&app, &subject.context)?, view, rows, page))
    })
    .await?;
    let mut cx = tera::Context::new();
    cx.insert("hunt", &hunt);
    cx.insert("subject", &view);
    cx.insert("versions", &rows);
    cx.insert("page", &page);
    render(
        "subject.html",
        cx,
        crumbs_for(Some(&subject.context), Some(&subject), None),
    )
}

fn find_version(
    versions: &[(u32, VersionRecord)],
    raw: &str,
) -> Result<(u32, VersionRecord), PageError> {
    let wanted = match Version::parse(raw) {
        Ok(Version::Latest) => live(versions).last().or(versions.last()).map(|(v, _)| *v),
        Ok(Version::Number(n)) => Some(n),
        Err(_) => None,
    };
    wanted
        .and_then(|w| versions.iter().find(|(v, _)| *v == w).copied())
        .ok_or_else(|| PageError::not_found(format!("No version {raw:?} of this subject.")))
}

/// One version as the timeline and the version page show it.
#[derive(Debug, Serialize)]
struct VersionView {
    version: u32,
    registered: Option<String>,
    id: u32,
    hex: String,
    deleted: bool,
    references: Vec<RefView>,
    /// The live version before it, which its diff compares against.
    previous: Option<u32>,
    diff: Option<String>,
}

impl VersionView {
    fn new(
        subject: &Subject,
        versions: &[(u32, VersionRecord)],
        version: u32,
        rec: &VersionRecord,
        record: &SchemaRecord,
    ) -> VersionView {
        let previous = versions
            .iter()
            .rev()
            .find(|(v, r)| *v < version && !r.deleted)
            .map(|(v, _)| *v);
        let href = subject_href(subject);
        VersionView {
            version,
            registered: rec.registered_ms.map(view::utc),
            id: rec.id,
            hex: hex_id(rec.id),
            deleted: rec.deleted,
            references: references(subject, record),
            previous,
            diff: previous.map(|p| format!("{href}/diff?from={p}&to={version}")),
        }
    }
}

#[derive(Debug, Serialize)]
struct Holder {
    label: String,
    href: String,
}

/// Message index table of a stored schema.
fn messages_of(record: &SchemaRecord) -> Result<Vec<view::IndexedMessage>, PageError> {
    let bytes = decode_descriptor(record)?;
    let file = prost_types::FileDescriptorProto::decode(bytes.as_slice())
        .map_err(|e| ApiError::Internal(format!("stored descriptor unreadable: {e}")))?;
    Ok(view::indexed_messages(&file))
}

/// The subjects and versions holding `id` in the hunts the caller may read.
fn holders_of(app: &App, caller: &Caller, id: u32) -> Result<Vec<(Subject, u32, bool)>, PageError> {
    let mut out = Vec::new();
    for ctx in app.store.contexts_with_id(id).map_err(ApiError::from)? {
        if !caller.may(Action::Read, &Scope::of_context(&ctx)) {
            continue;
        }
        for (subject, version) in app.store.usages(&ctx, id).map_err(ApiError::from)? {
            let deleted = app
                .store
                .version(&subject, version)
                .map_err(ApiError::from)?
                .is_some_and(|r| r.deleted);
            out.push((subject, version, deleted));
        }
    }
    Ok(out)
}

/// `GET /ui/hunts/{hunt}/subjects/{subject}/versions/{version}`.
pub(crate) async fn version(
    State(s): State<AppState>,
    caller: Caller,
    Path((raw, name, wanted)): Path<(String, String, String)>,
) -> Result<Html<String>, PageError> {
    let subject = subject_of(&raw, name)?;
    let app = s.0.clone();
    let sub = subject.clone();
    let (cx, number) = blocking(move || {
        let subject = sub;
        let versions = subject_versions(&app, &subject)?;
        let (number, rec) = find_version(&versions, &wanted)?;
        let record = record(&app, &subject.context, rec.id)?;
        let href = subject_href(&subject);
        let view = VersionView::new(&subject, &versions, number, &rec, &record);
        let holders: Vec<Holder> = holders_of(&app, &caller, rec.id)?
            .into_iter()
            .map(|(s, v, deleted)| Holder {
                label: format!(
                    "{} · {} v{v}{}",
                    context_label(&s.context),
                    s.name,
                    if deleted { " (soft-deleted)" } else { "" }
                ),
                href: format!("{}/versions/{v}", subject_href(&s)),
            })
            .collect();
        let mut cx = tera::Context::new();
        cx.insert(
            "subject",
            &SubjectView {
                name: subject.name.clone(),
                href,
                level: "",
                mode: "",
            },
        );
        cx.insert("version", &view);
        cx.insert("lines", &view::highlight(&record.schema));
        cx.insert("messages", &messages_of(&record)?);
        cx.insert("holders", &holders);
        Ok((cx, number))
    })
    .await?;
    render(
        "version.html",
        cx,
        crumbs_for(
            Some(&subject.context),
            Some(&subject),
            Some(format!("v{number}")),
        ),
    )
}

/// A finding as a page shows it.
#[derive(Debug, Clone, Serialize)]
struct FindingView {
    /// Which readers the finding breaks.
    direction: &'static str,
    rule: &'static str,
    message: String,
    doc: String,
    /// The element id of the line it is anchored at (`a12` left, `b12` right).
    anchor: Option<String>,
    line: Option<u32>,
}

/// Where a finding of a pair checked in `direction` sits: `b` lines are the newer text's,
/// `a` lines the older's. A backward check reports in the newer text (its location) with
/// the older as counterpart; a forward check swaps them.
fn anchor(f: &Finding, direction: Direction) -> (Option<String>, Option<u32>) {
    let (newer, older) = match direction {
        Direction::Backward => (&f.location, &f.against),
        Direction::Forward => (&f.against, &f.location),
    };
    let line = |l: &Option<huntreg_compat::Location>| {
        l.as_ref().and_then(|l| l.span).map(|s| s.start_line)
    };
    if let Some(n) = line(newer) {
        (Some(format!("b{n}")), Some(n))
    } else if let Some(n) = line(older) {
        (Some(format!("a{n}")), Some(n))
    } else {
        (None, None)
    }
}

fn finding_view(f: &Finding, direction: Direction) -> FindingView {
    let (anchor, line) = anchor(f, direction);
    FindingView {
        direction: match direction {
            Direction::Backward => "new readers of old data",
            Direction::Forward => "old readers of new data",
        },
        rule: f.rule,
        message: f.message.clone(),
        doc: format!("/ui/rules#{}", f.rule),
        anchor,
        line,
    }
}

fn directions(level: Level) -> &'static str {
    match (level.is_backward(), level.is_forward()) {
        (true, true) => "both directions: new readers read old data and old readers read new data",
        (true, false) => "backward: new readers read old data",
        (false, true) => "forward: old readers read new data",
        _ => "nothing is checked",
    }
}

/// Compiles a stored version's canonical text with source info, for findings with lines.
fn image_with_lines(
    app: &App,
    subject: &Subject,
    record: &SchemaRecord,
) -> Result<Image, PageError> {
    let deps = app.dep_files(subject, &record.references, &Caller::unrestricted())?;
    let main = schema::main_file_name(&subject.name, &deps);
    let prepared = schema::prepare(
        &Input::Text(record.schema.clone()),
        &main,
        &deps,
        &[],
        false,
    )
    .map_err(ApiError::Internal)?;
    Ok(prepared.image)
}

/// Findings of `new` against `old` at `level` (newest-pair reading), anchored.
fn level_findings(level: Level, old: &Image, new: &Image) -> Vec<FindingView> {
    let report = check_level(
        level.single(),
        new,
        &[old],
        &RuleSet::category(Category::Csr),
    );
    report
        .pairs
        .iter()
        .flat_map(|p| {
            p.report
                .findings
                .iter()
                .map(move |f| finding_view(f, p.direction))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct Side {
    version: u32,
    id: u32,
}

#[derive(Debug, Serialize)]
struct Verdict {
    class: &'static str,
    title: String,
    summary: String,
}

#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    row: view::DiffRow,
    findings: Vec<FindingView>,
}

fn semver_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Major => "major",
        ChangeKind::Minor => "minor",
        ChangeKind::Patch => "patch",
    }
}

/// `GET /ui/hunts/{hunt}/subjects/{subject}/diff?from=A&to=B`: side by side, with the
/// findings at the subject's effective level on their lines and the semver class.
pub(crate) async fn diff(
    State(s): State<AppState>,
    Path((raw, name)): Path<(String, String)>,
    Query(q): Query<DiffQuery>,
) -> Result<Html<String>, PageError> {
    let subject = subject_of(&raw, name)?;
    let app = s.0.clone();
    let sub = subject.clone();
    let (cx, title) = blocking(move || {
        let subject = sub;
        let versions = subject_versions(&app, &subject)?;
        let to = find_version(&versions, q.to.as_deref().unwrap_or("latest"))?;
        let from = match q.from.as_deref() {
            Some(raw) => find_version(&versions, raw)?,
            None => versions
                .iter()
                .rev()
                .find(|(v, r)| *v < to.0 && !r.deleted)
                .or_else(|| versions.iter().rev().find(|(v, _)| *v < to.0))
                .copied()
                .unwrap_or(to),
        };
        let old = record(&app, &subject.context, from.1.id)?;
        let new = record(&app, &subject.context, to.1.id)?;
        let level = app.effective_config(&subject)?.0;
        // The cached images answer quickly; lines are needed only when something was found.
        let old_image = app.image(&subject, from.1.id)?;
        let new_image = app.image(&subject, to.1.id)?;
        let mut findings = level_findings(level, &old_image, &new_image);
        if !findings.is_empty() {
            let old_lines = image_with_lines(&app, &subject, &old)?;
            let new_lines = image_with_lines(&app, &subject, &new)?;
            findings = level_findings(level, &old_lines, &new_lines);
        }
        let semver = explain(&old_image, &new_image);
        let semver_reason = semver
            .reasons
            .first()
            .map(|f| format!("{} ({})", f.message, f.rule))
            .unwrap_or_default();
        let mut rows: Vec<Row> = view::diff_rows(&old.schema, &new.schema, DIFF_CONTEXT)
            .into_iter()
            .map(|row| Row {
                row,
                findings: Vec::new(),
            })
            .collect();
        // Each finding under the row of its line (the newer side's first, else the older's).
        for f in &findings {
            let Some(anchor) = &f.anchor else { continue };
            let (side, n) = anchor.split_at(1);
            let n: usize = n.parse().unwrap_or(0);
            let at = rows.iter().position(|r| match side {
                "b" => r.row.right_no == Some(n),
                _ => r.row.left_no == Some(n),
            });
            match at {
                Some(i) => rows[i].findings.push(f.clone()),
                None => {
                    // The line was cut as unchanged context: show it and its finding.
                    let lines = if side == "b" {
                        &new.schema
                    } else {
                        &old.schema
                    };
                    let text = lines.lines().nth(n.saturating_sub(1)).unwrap_or("");
                    let mut block = false;
                    let html = view::highlight_line(text, &mut block);
                    let row = view::DiffRow {
                        kind: "same",
                        left_no: (side == "a").then_some(n),
                        left: if side == "a" {
                            html.clone()
                        } else {
                            String::new()
                        },
                        right_no: (side == "b").then_some(n),
                        right: if side == "b" { html } else { String::new() },
                    };
                    rows.push(Row {
                        row,
                        findings: vec![f.clone()],
                    });
                }
            }
        }
        let verdict = if level == Level::None {
            Verdict {
                class: "",
                title: "Not checked".into(),
                summary: "the subject's level is NONE, so nothing is compared.".into(),
            }
        } else if findings.is_empty() {
            Verdict {
                class: "ok",
                title: "Compatible".into(),
                summary: format!(
                    "version {} would be accepted after version {}.",
                    to.0, from.0
                ),
            }
        } else {
            Verdict {
                class: "bad",
                title: format!(
                    "{} finding{}",
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" }
                ),
                summary: format!(
                    "version {} would be refused after version {}.",
                    to.0, from.0
                ),
            }
        };
        let mut cx = tera::Context::new();
        cx.insert(
            "subject",
            &SubjectView {
                name: subject.name.clone(),
                href: subject_href(&subject),
                level: level.as_str(),
                mode: "",
            },
        );
        cx.insert(
            "from",
            &Side {
                version: from.0,
                id: from.1.id,
            },
        );
        cx.insert(
            "to",
            &Side {
                version: to.0,
                id: to.1.id,
            },
        );
        cx.insert("newest", &versions.last().map_or(1, |(v, _)| *v));
        cx.insert("level", level.as_str());
        cx.insert("directions", directions(level));
        cx.insert("verdict", &verdict);
        cx.insert("findings", &findings);
        cx.insert("semver", semver_word(semver.kind));
        cx.insert("semver_reason", &semver_reason);
        cx.insert("rows", &rows);
        Ok((cx, format!("v{} → v{}", from.0, to.0)))
    })
    .await?;
    render(
        "diff.html",
        cx,
        crumbs_for(Some(&subject.context), Some(&subject), Some(title)),
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct CheckForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    schema: String,
    /// One reference a line: `import/path.proto subject version`.
    #[serde(default)]
    references: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CheckQuery {
    subject: Option<String>,
}

fn subject_names(app: &App, ctx: &Context) -> Result<Vec<String>, PageError> {
    Ok(app
        .store
        .subjects(Some(ctx))
        .map_err(ApiError::from)?
        .into_iter()
        .filter(|(_, live)| *live)
        .map(|(s, _)| s.name)
        .collect())
}

/// `GET /ui/hunts/{hunt}/check`: the dry-run form, filled with a subject's latest text.
pub(crate) async fn check_form(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Result<Html<String>, PageError> {
    let ctx = parse_context(&raw)?;
    let app = s.0.clone();
    let c = ctx.clone();
    let cx = blocking(move || {
        let mut form = CheckForm::default();
        if let Some(name) = q.subject {
            let subject = Subject::new(c.clone(), name.clone());
            let versions = app.store.versions(&subject).map_err(ApiError::from)?;
            if let Some((_, rec)) = live(&versions).last() {
                let record = record(&app, &c, rec.id)?;
                form.schema = record.schema.clone();
                form.references = record
                    .references
                    .iter()
                    .map(|r| format!("{} {} {}", r.name, r.subject, r.version))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            form.subject = name;
        }
        let mut cx = tera::Context::new();
        cx.insert("hunt", &hunt_view(&app, &c)?);
        cx.insert("subjects", &subject_names(&app, &c)?);
        cx.insert("form", &form);
        Ok(cx)
    })
    .await?;
    render(
        "check.html",
        cx,
        crumbs_for(Some(&ctx), None, Some("Would it be accepted?".into())),
    )
}

#[derive(Debug, Serialize)]
struct CheckResult {
    class: &'static str,
    title: String,
    summary: String,
    messages: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Line {
    html: String,
    findings: Vec<FindingView>,
}

fn parse_references(raw: &str) -> Result<Vec<ReferenceRequest>, String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.as_slice() {
                [name, subject, version] => Ok(ReferenceRequest {
                    name: (*name).to_owned(),
                    subject: (*subject).to_owned(),
                    version: version
                        .parse()
                        .map_err(|_| format!("{l:?}: the version is not a number"))?,
                }),
                _ => Err(format!(
                    "{l:?}: write a reference as `import/path.proto subject version`"
                )),
            }
        })
        .collect()
}

/// `POST /ui/hunts/{hunt}/check`: the dry run, through the registry's own compatibility
/// check at the subject's effective level; findings against the latest version anchored
/// in the submitted text.
pub(crate) async fn check_submit(
    State(s): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    Form(form): Form<CheckForm>,
) -> Result<Html<String>, PageError> {
    let ctx = parse_context(&raw)?;
    let subject = Subject::new(ctx.clone(), form.subject.trim().to_owned());
    let app = s.0.clone();
    let references = parse_references(&form.references);
    let request = |refs: Vec<ReferenceRequest>| SchemaRequest {
        schema: form.schema.clone(),
        references: refs,
        version: None,
        id: None,
    };
    let (result, findings) = match references {
        Err(e) => (
            CheckResult {
                class: "bad",
                title: "Not checked".into(),
                summary: e,
                messages: Vec::new(),
            },
            Vec::new(),
        ),
        Ok(_) if subject.name.is_empty() || form.schema.trim().is_empty() => (
            CheckResult {
                class: "bad",
                title: "Not checked".into(),
                summary: "Name a subject and give a schema.".into(),
                messages: Vec::new(),
            },
            Vec::new(),
        ),
        Ok(refs) => {
            let answer = app
                .check_compatibility(
                    subject.clone(),
                    None,
                    request(refs.clone()),
                    false,
                    true,
                    caller.clone(),
                )
                .await;
            let level = app.effective_config(&subject)?.0;
            let result = match answer {
                Ok(r) if r.is_compatible => CheckResult {
                    class: "ok",
                    title: "Would be accepted".into(),
                    summary: format!(
                        "Compatible with the versions {} checks.",
                        level.as_str()
                    ),
                    messages: r.messages,
                },
                Ok(r) => CheckResult {
                    class: "bad",
                    title: "Would be refused".into(),
                    summary: format!("Incompatible at {}.", level.as_str()),
                    messages: r.messages,
                },
                Err(ApiError::SubjectNotFound(_)) => CheckResult {
                    class: "ok",
                    title: "A new subject".into(),
                    summary: format!(
                        "{:?} has no versions yet: registering creates version 1, compared with nothing.",
                        subject.name
                    ),
                    messages: Vec::new(),
                },
                Err(e) if !e.status().is_server_error() => CheckResult {
                    class: "bad",
                    title: "Would be refused".into(),
                    summary: e.to_string(),
                    messages: Vec::new(),
                },
                Err(e) => return Err(e.into()),
            };
            let findings = if result.class == "bad" && level != Level::None {
                let app = app.clone();
                let subject = subject.clone();
                let text = form.schema.clone();
                let caller = caller.clone();
                blocking(move || anchored_check(&app, &subject, &text, &refs, level, &caller))
                    .await
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            (result, findings)
        }
    };
    let mut lines: Vec<Line> = view::highlight(&form.schema)
        .into_iter()
        .map(|html| Line {
            html,
            findings: Vec::new(),
        })
        .collect();
    for f in &findings {
        if let (Some(anchor), Some(n)) = (&f.anchor, f.line) {
            if anchor.starts_with('b') {
                if let Some(line) = lines.get_mut(n as usize - 1) {
                    line.findings.push(f.clone());
                }
            }
        }
    }
    let app = s.0.clone();
    let c = ctx.clone();
    let (hunt, names) =
        blocking(move || Ok((hunt_view(&app, &c)?, subject_names(&app, &c)?))).await?;
    let mut cx = tera::Context::new();
    cx.insert("hunt", &hunt);
    cx.insert("subjects", &names);
    cx.insert("form", &form);
    cx.insert("result", &result);
    cx.insert("findings", &findings);
    cx.insert("lines", &lines);
    render(
        "check.html",
        cx,
        crumbs_for(Some(&ctx), None, Some("Would it be accepted?".into())),
    )
}

/// The submitted text against the subject's latest live version, findings with lines.
fn anchored_check(
    app: &App,
    subject: &Subject,
    text: &str,
    references: &[ReferenceRequest],
    level: Level,
    caller: &Caller,
) -> Result<Vec<FindingView>, PageError> {
    let versions = app.store.versions(subject).map_err(ApiError::from)?;
    let Some((_, latest)) = live(&versions).last() else {
        return Ok(Vec::new());
    };
    let old = record(app, &subject.context, latest.id)?;
    let old_image = image_with_lines(app, subject, &old)?;
    let refs: Vec<crate::store::ReferenceRecord> = references
        .iter()
        .filter_map(|r| {
            let version = u32::try_from(r.version).ok()?;
            Some(crate::store::ReferenceRecord {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version,
            })
        })
        .collect();
    let deps = app.dep_files(subject, &refs, caller)?;
    let main = schema::main_file_name(&subject.name, &deps);
    let Ok(prepared) = schema::prepare(&Input::Text(text.to_owned()), &main, &deps, &refs, false)
    else {
        return Ok(Vec::new());
    };
    Ok(level_findings(level, &old_image, &prepared.image))
}

#[derive(Debug, Deserialize)]
pub(crate) struct IdQuery {
    q: Option<String>,
}

#[derive(Debug, Serialize)]
struct IdHolder {
    hunt: String,
    hunt_href: String,
    subject: String,
    subject_href: String,
    version: u32,
    href: String,
    deleted: bool,
    messages: Vec<view::IndexedMessage>,
}

/// `GET /ui/ids?q=0x9d`: which hunts, subjects and versions hold an ID, and its messages.
pub(crate) async fn ids(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<IdQuery>,
) -> Result<Html<String>, PageError> {
    let query = q.q.unwrap_or_default();
    let mut cx = tera::Context::new();
    cx.insert("query", &query);
    if !query.trim().is_empty() {
        match view::parse_id(&query) {
            None => cx.insert(
                "error",
                &format!("{query:?} is not a schema ID: type a number (157) or hex (0x9d)."),
            ),
            Some(id) => {
                let app = s.0.clone();
                let holders = blocking(move || {
                    let mut out = Vec::new();
                    for (subject, version, deleted) in holders_of(&app, &caller, id)? {
                        let record = record(&app, &subject.context, id)?;
                        let href = subject_href(&subject);
                        out.push(IdHolder {
                            hunt: context_label(&subject.context),
                            hunt_href: hunt_href(&subject.context),
                            subject: subject.name.clone(),
                            subject_href: href.clone(),
                            version,
                            href: format!("{href}/versions/{version}"),
                            deleted,
                            messages: messages_of(&record)?,
                        });
                    }
                    Ok(out)
                })
                .await?;
                cx.insert("id", &id);
                cx.insert("hex", &hex_id(id));
                cx.insert("holders", &holders);
            }
        }
    }
    render(
        "ids.html",
        cx,
        crumbs_for(None, None, Some("Schema IDs".into())),
    )
}

#[derive(Debug, Serialize)]
struct RuleView {
    id: &'static str,
    purpose: &'static str,
    categories: String,
    deprecated: bool,
}

/// `GET /ui/rules`: every rule a finding can name, with its purpose and categories.
pub(crate) async fn rules() -> Result<Html<String>, PageError> {
    let rules: Vec<RuleView> = RULES
        .iter()
        .map(|r| RuleView {
            id: r.id,
            purpose: r.purpose,
            categories: r
                .v2
                .or(r.v1)
                .unwrap_or(&[])
                .iter()
                .map(|c| c.id())
                .collect::<Vec<_>>()
                .join(", "),
            deprecated: r.deprecated,
        })
        .collect();
    let mut cx = tera::Context::new();
    cx.insert("rules", &rules);
    render(
        "rules.html",
        cx,
        crumbs_for(None, None, Some("Rules".into())),
    )
}
