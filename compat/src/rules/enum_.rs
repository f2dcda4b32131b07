//! Enum rules: deleted values (matched by number), renamed values, reserved ranges and
//! names, and open/closed or JSON-format changes that follow from the file's syntax.

use std::collections::HashSet;

use prost_reflect::{EnumDescriptor, EnumValueDescriptor, Syntax};

use super::message::tag_ranges;
use super::text::{q, q_list};
use super::Cx;
use crate::location::Loc;
use crate::pairs::{by_number, EnumPair, EnumValuePair};

/// The largest enum number (buf's `EnumRangeInclusiveMax`).
const ENUM_MAX: i64 = 2_147_483_647;

fn loc(e: &EnumDescriptor) -> Loc {
    Loc::at(&e.parent_file(), e.path())
}

/// proto2 enums are closed, proto3 enums open.
fn is_closed(e: &EnumDescriptor) -> bool {
    e.parent_file().syntax() != Syntax::Proto3
}

/// ENUM_SAME_TYPE: the enum switched between open and closed.
pub(crate) fn enum_same_type(cx: &mut Cx<'_>, pair: &EnumPair) {
    let (prev, cur) = (is_closed(&pair.prev), is_closed(&pair.cur));
    if prev != cur {
        let state = |closed: bool| if closed { "closed" } else { "open" };
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "Enum {} changed from {} to {}.",
                q(pair.cur.name()),
                state(prev),
                state(cur)
            ),
        );
    }
}

/// ENUM_SAME_JSON_FORMAT: JSON support went from ALLOW (proto3) to LEGACY_BEST_EFFORT.
pub(crate) fn enum_same_json_format(cx: &mut Cx<'_>, pair: &EnumPair) {
    if !is_closed(&pair.prev) && is_closed(&pair.cur) {
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "Enum {} JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                q(pair.cur.name())
            ),
        );
    }
}

/// Which deletions an ENUM_VALUE_NO_DELETE variant forgives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unless {
    Nothing,
    NumberReserved,
    NameReserved,
}

fn enum_value_no_delete_with(cx: &mut Cx<'_>, pair: &EnumPair, unless: Unless) {
    let current = by_number(&pair.cur);
    for (number, values) in by_number(&pair.prev) {
        if current.contains_key(&number) {
            continue;
        }
        let mut names: Vec<&str> = values.iter().map(EnumValueDescriptor::name).collect();
        names.sort_unstable();
        names.dedup();
        let suffix = match unless {
            Unless::Nothing => String::new(),
            Unless::NumberReserved => {
                if pair.cur.reserved_ranges().any(|r| r.contains(&number)) {
                    continue;
                }
                format!(" without reserving the number \"{number}\"")
            }
            Unless::NameReserved => {
                let reserved: HashSet<&str> = pair.cur.reserved_names().collect();
                if names.iter().all(|n| reserved.contains(n)) {
                    continue;
                }
                let s = if names.len() > 1 { "s" } else { "" };
                format!(" without reserving the name{s} {}", q_list(&names))
            }
        };
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "Previously present enum value \"{number}\" on enum {} was deleted{suffix}.",
                q(pair.cur.name())
            ),
        );
    }
}

/// ENUM_VALUE_NO_DELETE: an enum number is gone.
pub(crate) fn enum_value_no_delete(cx: &mut Cx<'_>, pair: &EnumPair) {
    enum_value_no_delete_with(cx, pair, Unless::Nothing);
}

/// ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED: an enum number is gone and not reserved.
pub(crate) fn enum_value_no_delete_unless_number_reserved(cx: &mut Cx<'_>, pair: &EnumPair) {
    enum_value_no_delete_with(cx, pair, Unless::NumberReserved);
}

/// ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED: an enum number is gone and its names are not
/// all reserved.
pub(crate) fn enum_value_no_delete_unless_name_reserved(cx: &mut Cx<'_>, pair: &EnumPair) {
    enum_value_no_delete_with(cx, pair, Unless::NameReserved);
}

/// ENUM_VALUE_SAME_NAME: a name bound to a number is gone from it (adding an alias is
/// fine; renaming or dropping one of several aliases is not). One finding per current name
/// of the number.
pub(crate) fn enum_value_same_name(cx: &mut Cx<'_>, pair: &EnumValuePair) {
    let sorted = |values: &[EnumValueDescriptor]| {
        let mut names: Vec<String> = values.iter().map(|v| v.name().to_owned()).collect();
        names.sort_unstable();
        names.dedup();
        names
    };
    let (prev, cur) = (sorted(&pair.prev), sorted(&pair.cur));
    if prev.iter().all(|n| cur.binary_search(n).is_ok()) {
        return;
    }
    let s = if prev.len() > 1 && cur.len() > 1 {
        "s"
    } else {
        ""
    };
    for value in &pair.cur {
        let against = pair
            .prev
            .iter()
            .find(|p| p.name() == value.name())
            .map(|p| Loc::sub(&p.parent_file(), p.path(), &[2]));
        cx.report(
            Some(Loc::sub(&value.parent_file(), value.path(), &[2])),
            against,
            format!(
                "Enum value \"{}\" on enum {} changed name{s} from {} to {}.",
                value.number(),
                q(value.parent_enum().name()),
                q_list(&prev),
                q_list(&cur)
            ),
        );
    }
}

/// RESERVED_ENUM_NO_DELETE: reserved ranges shrank or reserved names are gone.
pub(crate) fn reserved_enum_no_delete(cx: &mut Cx<'_>, pair: &EnumPair) {
    let ranges = |e: &EnumDescriptor| {
        e.reserved_ranges()
            .map(|r| (i64::from(*r.start()), i64::from(*r.end())))
            .collect::<Vec<_>>()
    };
    let (prev, cur) = (ranges(&pair.prev), ranges(&pair.cur));
    let location = (loc(&pair.cur), loc(&pair.prev));
    let name = pair.cur.name().to_owned();
    tag_ranges(
        cx, "reserved", "enum", &name, ENUM_MAX, &prev, &cur, &location,
    );
    let current: HashSet<&str> = pair.cur.reserved_names().collect();
    let mut seen = HashSet::new();
    for prev_name in pair.prev.reserved_names() {
        if current.contains(prev_name) || !seen.insert(prev_name) {
            continue;
        }
        cx.report(
            Some(location.0.clone()),
            Some(location.1.clone()),
            format!(
                "Previously present reserved name {} on enum {} was deleted.",
                q(prev_name),
                q(&name)
            ),
        );
    }
}
