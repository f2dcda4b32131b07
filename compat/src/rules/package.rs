//! Package rules: elements deleted from a package (matched by nested name across all files
//! of the package, so moving them between files is fine) and whole packages deleted. They
//! only apply to packages that still exist; PACKAGE_NO_DELETE covers the rest.

use std::collections::{BTreeMap, HashMap};

use prost_reflect::{FileDescriptor, MessageDescriptor};

use super::file::{deleted_location, nested_messages};
use super::text::q;
use super::Cx;
use crate::location::Loc;
use crate::pairs::{enums_of, extensions_of, messages_of, nested_name, Side};

/// package -> nested name -> (file, descriptor path), over the checked files of a side.
type ByPackage = HashMap<String, HashMap<String, (FileDescriptor, Vec<i32>)>>;

/// Elements by package and nested name. As in buf, a package appears only once one of its
/// files declares such an element, so the deletion rules say nothing about a package that
/// no longer declares any (services are the exception: every file's package appears, see
/// `package_service_no_delete`).
fn by_package<T>(
    side: &Side<'_>,
    elements: fn(&FileDescriptor) -> Vec<T>,
    name_and_path: fn(&T) -> (String, Vec<i32>),
) -> ByPackage {
    let mut out: ByPackage = HashMap::new();
    for file in side.files() {
        for e in elements(file) {
            let (full_name, path) = name_and_path(&e);
            let nested = nested_name(&full_name, file.package_name()).to_owned();
            out.entry(file.package_name().to_owned())
                .or_default()
                .entry(nested)
                .or_insert((file.clone(), path));
        }
    }
    out
}

/// Shared body of the PACKAGE_*_NO_DELETE rules for enums and extensions: the finding sits
/// on the nearest surviving parent message in the file the element came from, on that
/// file without a span, or nowhere when the file is gone too.
fn package_no_delete(cx: &mut Cx<'_>, what: &str, prev: &ByPackage, cur: &ByPackage) {
    let mut messages_by_file: HashMap<String, HashMap<String, MessageDescriptor>> = HashMap::new();
    for (package, elements) in prev {
        let Some(current) = cur.get(package) else {
            continue;
        };
        for (nested, (file, path)) in elements {
            if current.contains_key(nested) {
                continue;
            }
            let against = Some(Loc::at(file, path));
            let message = format!(
                "Previously present {what} {} was deleted from package {}.",
                q(nested),
                q(package)
            );
            let location = cx.cur.file(file.name()).map(|cur_file| {
                let messages = messages_by_file
                    .entry(cur_file.name().to_owned())
                    .or_insert_with(|| nested_messages(cur_file));
                deleted_location(cur_file, messages, nested)
            });
            cx.report(location, against, message);
        }
    }
}

/// PACKAGE_ENUM_NO_DELETE: an enum is gone from its package.
pub(crate) fn package_enum_no_delete(cx: &mut Cx<'_>) {
    let name_and_path =
        |e: &prost_reflect::EnumDescriptor| (e.full_name().to_owned(), e.path().to_vec());
    let prev = by_package(cx.prev, enums_of, name_and_path);
    let cur = by_package(cx.cur, enums_of, name_and_path);
    package_no_delete(cx, "enum", &prev, &cur);
}

/// PACKAGE_EXTENSION_NO_DELETE: an extension is gone from its package (v2 only).
pub(crate) fn package_extension_no_delete(cx: &mut Cx<'_>) {
    let name_and_path =
        |e: &prost_reflect::ExtensionDescriptor| (e.full_name().to_owned(), e.path().to_vec());
    let prev = by_package(cx.prev, extensions_of, name_and_path);
    let cur = by_package(cx.cur, extensions_of, name_and_path);
    package_no_delete(cx, "extension", &prev, &cur);
}

/// PACKAGE_MESSAGE_NO_DELETE: a message is gone from its package. The nearest surviving
/// parent is looked up across the whole package, as buf does.
pub(crate) fn package_message_no_delete(cx: &mut Cx<'_>) {
    let name_and_path = |m: &MessageDescriptor| (m.full_name().to_owned(), m.path().to_vec());
    let prev = by_package(cx.prev, messages_of, name_and_path);
    let cur = by_package(cx.cur, messages_of, name_and_path);
    for (package, elements) in &prev {
        let Some(current) = cur.get(package) else {
            continue;
        };
        for (nested, (file, path)) in elements {
            if current.contains_key(nested) {
                continue;
            }
            let location = cx.cur.file(file.name()).map(|cur_file| {
                let mut prefix = nested.as_str();
                while let Some((parent, _)) = prefix.rsplit_once('.') {
                    if let Some((parent_file, parent_path)) = current.get(parent) {
                        return Loc::at(parent_file, parent_path);
                    }
                    prefix = parent;
                }
                Loc::file(cur_file)
            });
            cx.report(
                location,
                Some(Loc::at(file, path)),
                format!(
                    "Previously present message {} was deleted from package {}.",
                    q(nested),
                    q(package)
                ),
            );
        }
    }
}

/// PACKAGE_SERVICE_NO_DELETE: a service is gone from its package.
pub(crate) fn package_service_no_delete(cx: &mut Cx<'_>) {
    let services = |f: &FileDescriptor| f.services().collect::<Vec<_>>();
    let name_and_path =
        |s: &prost_reflect::ServiceDescriptor| (s.full_name().to_owned(), s.path().to_vec());
    let prev = by_package(cx.prev, services, name_and_path);
    let mut cur = by_package(cx.cur, services, name_and_path);
    for file in cx.cur.files() {
        cur.entry(file.package_name().to_owned()).or_default();
    }
    for (package, elements) in &prev {
        let Some(current) = cur.get(package) else {
            continue;
        };
        for (name, (file, path)) in elements {
            if current.contains_key(name) {
                continue;
            }
            let location = cx.cur.file(file.name()).map(Loc::file);
            cx.report(
                location,
                Some(Loc::at(file, path)),
                format!(
                    "Previously present service {} was deleted from package {}.",
                    q(name),
                    q(package)
                ),
            );
        }
    }
}

/// PACKAGE_NO_DELETE: no checked file declares a previously present package any more.
pub(crate) fn package_no_delete_rule(cx: &mut Cx<'_>) {
    let packages = |side: &Side<'_>| {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in side.files() {
            out.entry(f.package_name().to_owned())
                .or_default()
                .push(f.name().to_owned());
        }
        out
    };
    let (prev, cur) = (packages(cx.prev), packages(cx.cur));
    for (package, mut files) in prev {
        if cur.contains_key(&package) {
            continue;
        }
        files.sort();
        cx.report(
            None,
            files.first().map(|f| Loc::file_named(f)),
            format!("Previously present package {} was deleted.", q(&package)),
        );
    }
}
