//! File rules: deleted files, elements deleted from a file (messages, enums, services,
//! extensions, matched by nested name within the file at the same path), and file-level
//! settings (package, syntax, options) that must stay the same.

use std::collections::{HashMap, HashSet};

use prost_reflect::{FileDescriptor, MessageDescriptor};
use prost_types::FileOptions;

use super::text::q;
use super::Cx;
use crate::index::Contents;
use crate::location::Loc;
use crate::pairs::{messages_of, nested_name, FilePair};

/// FILE_NO_DELETE: a previously present file path is gone. The finding has no location.
pub(crate) fn file_no_delete(cx: &mut Cx<'_>) {
    let (prev, cur) = (cx.prev, cx.cur);
    for file in prev.files() {
        if cur.file(file.name()).is_none() {
            cx.report(
                None,
                Some(Loc::file(file)),
                format!("Previously present file {} was deleted.", q(file.name())),
            );
        }
    }
}

/// Messages of `file` by nested name.
pub(crate) fn nested_messages(file: &FileDescriptor) -> HashMap<String, MessageDescriptor> {
    messages_of(file)
        .into_iter()
        .map(|m| {
            (
                nested_name(m.full_name(), file.package_name()).to_owned(),
                m,
            )
        })
        .collect()
}

/// Where buf reports an element deleted from a file: the nearest enclosing message that
/// still exists (by nested name), else the file itself without a span.
pub(crate) fn deleted_location(
    file: &FileDescriptor,
    messages: &HashMap<String, MessageDescriptor>,
    nested: &str,
) -> Loc {
    let mut prefix = nested;
    while let Some((parent, _)) = prefix.rsplit_once('.') {
        if let Some(m) = messages.get(parent) {
            return Loc::at(&m.parent_file(), m.path());
        }
        prefix = parent;
    }
    Loc::file(file)
}

/// The contents of both files of a pair, from the images' indexes.
fn contents<'a>(cx: &Cx<'a>, pair: &FilePair) -> Option<(&'a Contents, &'a Contents)> {
    Some((
        cx.prev.contents(pair.prev.name())?,
        cx.cur.contents(pair.cur.name())?,
    ))
}

/// Reports every element of `previous` (nested name and descriptor path) that is not in
/// the current file, at the nearest surviving enclosing message, in buf's words.
fn deleted_from_file<'c>(
    cx: &mut Cx<'_>,
    pair: &FilePair,
    kind: &str,
    cur: &Contents,
    previous: impl IntoIterator<Item = (&'c str, &'c [i32])>,
    exists: impl Fn(&str) -> bool,
) {
    for (nested, path) in previous {
        if !exists(nested) {
            cx.report(
                Some(deleted_location(&pair.cur, &cur.message_by_nested, nested)),
                Some(Loc::at(&pair.prev, path)),
                format!(
                    "Previously present {kind} {} was deleted from file.",
                    q(nested)
                ),
            );
        }
    }
}

/// MESSAGE_NO_DELETE: a message is gone from the file at the same path.
pub(crate) fn message_no_delete(cx: &mut Cx<'_>, pair: &FilePair) {
    let Some((prev, cur)) = contents(cx, pair) else {
        return;
    };
    let previous = prev.messages.iter().map(|(n, m)| (n.as_str(), m.path()));
    deleted_from_file(cx, pair, "message", cur, previous, |n| {
        cur.message_by_nested.contains_key(n)
    });
}

/// ENUM_NO_DELETE: an enum is gone from the file at the same path.
pub(crate) fn enum_no_delete(cx: &mut Cx<'_>, pair: &FilePair) {
    let Some((prev, cur)) = contents(cx, pair) else {
        return;
    };
    let current: HashSet<&str> = cur.enums.iter().map(|(n, _)| n.as_str()).collect();
    let previous = prev.enums.iter().map(|(n, e)| (n.as_str(), e.path()));
    deleted_from_file(cx, pair, "enum", cur, previous, |n| current.contains(n));
}

/// EXTENSION_NO_DELETE: an extension is gone from the file at the same path (v2 only).
pub(crate) fn extension_no_delete(cx: &mut Cx<'_>, pair: &FilePair) {
    let Some((prev, cur)) = contents(cx, pair) else {
        return;
    };
    let current: HashSet<&str> = cur.extensions.iter().map(|(n, _)| n.as_str()).collect();
    let previous = prev.extensions.iter().map(|(n, e)| (n.as_str(), e.path()));
    deleted_from_file(cx, pair, "extension", cur, previous, |n| {
        current.contains(n)
    });
}

/// SERVICE_NO_DELETE: a service is gone from the file at the same path.
pub(crate) fn service_no_delete(cx: &mut Cx<'_>, pair: &FilePair) {
    let current: HashSet<String> = pair.cur.services().map(|s| s.name().to_owned()).collect();
    for s in pair.prev.services() {
        if !current.contains(s.name()) {
            cx.report(
                Some(Loc::file(&pair.cur)),
                Some(Loc::at(&pair.prev, s.path())),
                format!(
                    "Previously present service {} was deleted from file.",
                    q(s.name())
                ),
            );
        }
    }
}

/// Reports `File <what> changed from "<prev>" to "<cur>".` at the token at `path`.
fn same_value(cx: &mut Cx<'_>, pair: &FilePair, what: &str, path: &[i32], prev: &str, cur: &str) {
    if prev != cur {
        cx.report(
            Some(Loc::at(&pair.cur, path)),
            Some(Loc::at(&pair.prev, path)),
            format!("File {what} changed from {} to {}.", q(prev), q(cur)),
        );
    }
}

fn options(file: &FileDescriptor) -> Option<&FileOptions> {
    file.file_descriptor_proto().options.as_ref()
}

/// A string file option; unset reads as empty.
fn string_option(
    cx: &mut Cx<'_>,
    pair: &FilePair,
    name: &str,
    number: i32,
    get: fn(&FileOptions) -> Option<&String>,
) {
    let value = |f: &FileDescriptor| {
        options(f)
            .and_then(get)
            .map(String::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let (prev, cur) = (value(&pair.prev), value(&pair.cur));
    same_value(
        cx,
        pair,
        &format!("option {}", q(name)),
        &[8, number],
        &prev,
        &cur,
    );
}

/// A bool file option with its descriptor.proto default.
fn bool_option(
    cx: &mut Cx<'_>,
    pair: &FilePair,
    name: &str,
    number: i32,
    default: bool,
    get: fn(&FileOptions) -> Option<bool>,
) {
    let value = |f: &FileDescriptor| options(f).and_then(get).unwrap_or(default).to_string();
    let (prev, cur) = (value(&pair.prev), value(&pair.cur));
    same_value(
        cx,
        pair,
        &format!("option {}", q(name)),
        &[8, number],
        &prev,
        &cur,
    );
}

/// FILE_SAME_PACKAGE: the file's package changed.
pub(crate) fn file_same_package(cx: &mut Cx<'_>, pair: &FilePair) {
    let (prev, cur) = (
        pair.prev.package_name().to_owned(),
        pair.cur.package_name().to_owned(),
    );
    same_value(cx, pair, "package", &[2], &prev, &cur);
}

/// FILE_SAME_SYNTAX: the file's syntax changed (a missing `syntax` reads as proto2).
pub(crate) fn file_same_syntax(cx: &mut Cx<'_>, pair: &FilePair) {
    // An editions file is in the pool as its proto2 or proto3 equivalent; buf compares
    // `editions` (any edition) with proto2 and proto3.
    let syntax = |f: &FileDescriptor, edition: Option<&str>| match (
        edition,
        f.file_descriptor_proto().syntax.as_deref(),
    ) {
        (Some(_), _) => "editions".to_owned(),
        (None, None | Some("")) => "proto2".to_owned(),
        (None, Some(s)) => s.to_owned(),
    };
    let prev = syntax(&pair.prev, cx.prev.declared_edition(pair.prev.name()));
    let cur = syntax(&pair.cur, cx.cur.declared_edition(pair.cur.name()));
    same_value(cx, pair, "syntax", &[12], &prev, &cur);
}

/// FILE_SAME_CC_ENABLE_ARENAS: option `cc_enable_arenas` (default true) changed.
pub(crate) fn file_same_cc_enable_arenas(cx: &mut Cx<'_>, pair: &FilePair) {
    bool_option(cx, pair, "cc_enable_arenas", 31, true, |o| {
        o.cc_enable_arenas
    });
}

/// FILE_SAME_CC_GENERIC_SERVICES: option `cc_generic_services` changed.
pub(crate) fn file_same_cc_generic_services(cx: &mut Cx<'_>, pair: &FilePair) {
    bool_option(cx, pair, "cc_generic_services", 16, false, |o| {
        o.cc_generic_services
    });
}

/// FILE_SAME_JAVA_GENERIC_SERVICES: option `java_generic_services` changed.
pub(crate) fn file_same_java_generic_services(cx: &mut Cx<'_>, pair: &FilePair) {
    bool_option(cx, pair, "java_generic_services", 17, false, |o| {
        o.java_generic_services
    });
}

/// FILE_SAME_PY_GENERIC_SERVICES: option `py_generic_services` changed.
pub(crate) fn file_same_py_generic_services(cx: &mut Cx<'_>, pair: &FilePair) {
    bool_option(cx, pair, "py_generic_services", 18, false, |o| {
        o.py_generic_services
    });
}

/// FILE_SAME_JAVA_MULTIPLE_FILES: option `java_multiple_files` changed.
pub(crate) fn file_same_java_multiple_files(cx: &mut Cx<'_>, pair: &FilePair) {
    bool_option(cx, pair, "java_multiple_files", 10, false, |o| {
        o.java_multiple_files
    });
}

/// FILE_SAME_CSHARP_NAMESPACE: option `csharp_namespace` changed.
pub(crate) fn file_same_csharp_namespace(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "csharp_namespace", 37, |o| {
        o.csharp_namespace.as_ref()
    });
}

/// FILE_SAME_GO_PACKAGE: option `go_package` changed.
pub(crate) fn file_same_go_package(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "go_package", 11, |o| o.go_package.as_ref());
}

/// FILE_SAME_JAVA_OUTER_CLASSNAME: option `java_outer_classname` changed.
pub(crate) fn file_same_java_outer_classname(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "java_outer_classname", 8, |o| {
        o.java_outer_classname.as_ref()
    });
}

/// FILE_SAME_JAVA_PACKAGE: option `java_package` changed.
pub(crate) fn file_same_java_package(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "java_package", 1, |o| o.java_package.as_ref());
}

/// FILE_SAME_OBJC_CLASS_PREFIX: option `objc_class_prefix` changed.
pub(crate) fn file_same_objc_class_prefix(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "objc_class_prefix", 36, |o| {
        o.objc_class_prefix.as_ref()
    });
}

/// FILE_SAME_PHP_CLASS_PREFIX: option `php_class_prefix` changed.
pub(crate) fn file_same_php_class_prefix(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "php_class_prefix", 40, |o| {
        o.php_class_prefix.as_ref()
    });
}

/// FILE_SAME_PHP_METADATA_NAMESPACE: option `php_metadata_namespace` changed.
pub(crate) fn file_same_php_metadata_namespace(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "php_metadata_namespace", 44, |o| {
        o.php_metadata_namespace.as_ref()
    });
}

/// FILE_SAME_PHP_NAMESPACE: option `php_namespace` changed.
pub(crate) fn file_same_php_namespace(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "php_namespace", 41, |o| o.php_namespace.as_ref());
}

/// FILE_SAME_RUBY_PACKAGE: option `ruby_package` changed.
pub(crate) fn file_same_ruby_package(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "ruby_package", 45, |o| o.ruby_package.as_ref());
}

/// FILE_SAME_SWIFT_PREFIX: option `swift_prefix` changed.
pub(crate) fn file_same_swift_prefix(cx: &mut Cx<'_>, pair: &FilePair) {
    string_option(cx, pair, "swift_prefix", 39, |o| o.swift_prefix.as_ref());
}

/// FILE_SAME_OPTIMIZE_FOR: option `optimize_for` (default SPEED) changed.
pub(crate) fn file_same_optimize_for(cx: &mut Cx<'_>, pair: &FilePair) {
    let value = |f: &FileDescriptor| match options(f).and_then(|o| o.optimize_for).unwrap_or(1) {
        2 => "CODE_SIZE",
        3 => "LITE_RUNTIME",
        _ => "SPEED",
    };
    let (prev, cur) = (value(&pair.prev), value(&pair.cur));
    same_value(cx, pair, "option \"optimize_for\"", &[8, 9], prev, cur);
}
