//! Message rules: deleted fields (matched by number), oneofs (by name), reserved and
//! extension ranges, required fields, and message-level settings.

use std::collections::{HashMap, HashSet};

use prost_reflect::{Cardinality, MessageDescriptor, Syntax};

use super::text::{field_description, q};
use super::Cx;
use crate::location::Loc;
use crate::pairs::{Field, MessagePair};

/// The largest field number (buf's `MessageRangeInclusiveMax`).
pub(crate) const MESSAGE_MAX: i64 = 536_870_911;

fn loc(m: &MessageDescriptor) -> Loc {
    Loc::at(&m.parent_file(), m.path())
}

/// Which deletions a FIELD_NO_DELETE variant forgives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unless {
    Nothing,
    NumberReserved,
    NameReserved,
}

fn field_no_delete_with(cx: &mut Cx<'_>, pair: &MessagePair, unless: Unless) {
    for prev in pair.prev.fields() {
        if pair.cur.get_field(prev.number()).is_some() {
            continue;
        }
        let suffix = match unless {
            Unless::Nothing => String::new(),
            Unless::NumberReserved => {
                let n = prev.number();
                if pair.cur.reserved_ranges().any(|r| r.contains(&n)) {
                    continue;
                }
                format!(" without reserving the number \"{n}\"")
            }
            Unless::NameReserved => {
                if pair.cur.reserved_names().any(|n| n == prev.name()) {
                    continue;
                }
                format!(" without reserving the name {}", q(prev.name()))
            }
        };
        let description = field_description(&Field::Field(prev));
        let description = match description.strip_prefix('F') {
            Some(rest) => format!("f{rest}"),
            None => description,
        };
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!("Previously present {description} was deleted{suffix}."),
        );
    }
}

/// FIELD_NO_DELETE: a field number is gone from a message.
pub(crate) fn field_no_delete(cx: &mut Cx<'_>, pair: &MessagePair) {
    field_no_delete_with(cx, pair, Unless::Nothing);
}

/// FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED: a field number is gone and not reserved.
pub(crate) fn field_no_delete_unless_number_reserved(cx: &mut Cx<'_>, pair: &MessagePair) {
    field_no_delete_with(cx, pair, Unless::NumberReserved);
}

/// FIELD_NO_DELETE_UNLESS_NAME_RESERVED: a field is gone and its name is not reserved.
pub(crate) fn field_no_delete_unless_name_reserved(cx: &mut Cx<'_>, pair: &MessagePair) {
    field_no_delete_with(cx, pair, Unless::NameReserved);
}

/// ONEOF_NO_DELETE: a (non-synthetic) oneof is gone from a message.
pub(crate) fn oneof_no_delete(cx: &mut Cx<'_>, pair: &MessagePair) {
    let current: HashSet<String> = pair.cur.oneofs().map(|o| o.name().to_owned()).collect();
    for prev in pair.prev.oneofs() {
        if prev.is_synthetic() || current.contains(prev.name()) {
            continue;
        }
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "Previously present oneof {} on message {} was deleted.",
                q(prev.name()),
                q(pair.cur.name())
            ),
        );
    }
}

/// MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR: the option went from false to true.
pub(crate) fn message_no_remove_standard_descriptor_accessor(cx: &mut Cx<'_>, pair: &MessagePair) {
    let value = |m: &MessageDescriptor| {
        m.descriptor_proto()
            .options
            .as_ref()
            .and_then(|o| o.no_standard_descriptor_accessor)
            .unwrap_or(false)
    };
    if !value(&pair.prev) && value(&pair.cur) {
        cx.report(
            Some(Loc::sub(&pair.cur.parent_file(), pair.cur.path(), &[7, 2])),
            Some(Loc::sub(&pair.prev.parent_file(), pair.prev.path(), &[7, 2])),
            "Message option \"no_standard_descriptor_accessor\" changed from \"false\" to \"true\"."
                .to_owned(),
        );
    }
}

/// MESSAGE_SAME_JSON_FORMAT: JSON support went from ALLOW (proto3) to LEGACY_BEST_EFFORT.
pub(crate) fn message_same_json_format(cx: &mut Cx<'_>, pair: &MessagePair) {
    if pair.prev.parent_file().syntax() == Syntax::Proto3
        && pair.cur.parent_file().syntax() != Syntax::Proto3
    {
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "Message {} JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.",
                q(pair.cur.name())
            ),
        );
    }
}

/// MESSAGE_SAME_REQUIRED_FIELDS: a required field was added or is no longer required.
pub(crate) fn message_same_required_fields(cx: &mut Cx<'_>, pair: &MessagePair) {
    let required = |m: &MessageDescriptor| {
        m.fields()
            .filter(|f| f.cardinality() == Cardinality::Required)
            .map(|f| (f.number(), f))
            .collect::<HashMap<_, _>>()
    };
    let (prev, cur) = (required(&pair.prev), required(&pair.cur));
    let tail = "Required fields must always be sent, so if one side does not know about the required field, this will result in a breakage.";
    for number in prev.keys() {
        if !cur.contains_key(number) {
            cx.report(
                Some(loc(&pair.cur)),
                Some(loc(&pair.prev)),
                format!(
                    "Message {} had required field \"{number}\" deleted. {tail}",
                    q(pair.prev.name())
                ),
            );
        }
    }
    for (number, field) in &cur {
        if !prev.contains_key(number) {
            cx.report(
                Some(Loc::at(&field.parent_file(), field.path())),
                None,
                format!(
                    "Message {} had required field \"{number}\" added. {tail}",
                    q(pair.cur.name())
                ),
            );
        }
    }
}

/// RESERVED_MESSAGE_NO_DELETE: reserved ranges shrank or reserved names are gone.
pub(crate) fn reserved_message_no_delete(cx: &mut Cx<'_>, pair: &MessagePair) {
    let ranges = |m: &MessageDescriptor| {
        m.reserved_ranges()
            .map(|r| (i64::from(r.start), i64::from(r.end) - 1))
            .collect::<Vec<_>>()
    };
    let (prev, cur) = (ranges(&pair.prev), ranges(&pair.cur));
    let location = (loc(&pair.cur), loc(&pair.prev));
    let name = pair.cur.name().to_owned();
    tag_ranges(
        cx,
        "reserved",
        "message",
        &name,
        MESSAGE_MAX,
        &prev,
        &cur,
        &location,
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
                "Previously present reserved name {} on message {} was deleted.",
                q(prev_name),
                q(&name)
            ),
        );
    }
}

/// EXTENSION_MESSAGE_NO_DELETE: extension ranges shrank.
pub(crate) fn extension_message_no_delete(cx: &mut Cx<'_>, pair: &MessagePair) {
    let ranges = |m: &MessageDescriptor| {
        m.extension_ranges()
            .map(|r| (i64::from(r.start), i64::from(r.end) - 1))
            .collect::<Vec<_>>()
    };
    let (prev, cur) = (ranges(&pair.prev), ranges(&pair.cur));
    let location = (loc(&pair.cur), loc(&pair.prev));
    let name = pair.cur.name().to_owned();
    tag_ranges(
        cx,
        "extension",
        "message",
        &name,
        MESSAGE_MAX,
        &prev,
        &cur,
        &location,
    );
}

/// Reports every previous inclusive range not fully covered by the current ranges, with the
/// missing sub-ranges (buf's `checkTagRanges`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn tag_ranges(
    cx: &mut Cx<'_>,
    range_kind: &str,
    element_kind: &str,
    element_name: &str,
    max: i64,
    prev: &[(i64, i64)],
    cur: &[(i64, i64)],
    location: &(Loc, Loc),
) {
    if prev.is_empty() {
        return;
    }
    let collapsed = collapse(cur);
    for &(start, end) in prev {
        let missing = find_missing(start, end, &collapsed);
        if missing.is_empty() {
            continue;
        }
        let range = |(s, e): (i64, i64)| {
            if s == e {
                format!("[{s}]")
            } else if e == max {
                format!("[{s},max]")
            } else {
                format!("[{s},{e}]")
            }
        };
        let removed: Vec<String> = missing.into_iter().map(range).collect();
        cx.report(
            Some(location.0.clone()),
            Some(location.1.clone()),
            format!(
                "Previously present {range_kind} range {} on {element_kind} {} is missing values: {} were removed.",
                q(&range((start, end))),
                q(element_name),
                removed.join(", ")
            ),
        );
    }
}

/// Sorts ranges and merges overlapping or adjacent ones.
fn collapse(ranges: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(sorted.len());
    for (s, e) in sorted {
        match out.last_mut() {
            Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The parts of `[start, end]` not covered by the collapsed `ranges`.
fn find_missing(start: i64, end: i64, ranges: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut missing = Vec::new();
    let mut next = start;
    for &(s, e) in ranges {
        if e < next {
            continue;
        }
        if s > end {
            break;
        }
        if s > next {
            missing.push((next, s - 1));
        }
        next = e + 1;
        if next > end {
            break;
        }
    }
    if next <= end {
        missing.push((next, end));
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_parts_of_a_range() {
        let cur = collapse(&[(5, 6), (1, 2), (3, 4), (10, 20)]);
        assert_eq!(cur, vec![(1, 6), (10, 20)]);
        assert_eq!(find_missing(1, 6, &cur), vec![]);
        assert_eq!(find_missing(4, 12, &cur), vec![(7, 9)]);
        assert_eq!(find_missing(0, 25, &cur), vec![(0, 0), (7, 9), (21, 25)]);
        assert_eq!(find_missing(30, 40, &cur), vec![(30, 40)]);
        assert_eq!(find_missing(1, 2, &[]), vec![(1, 2)]);
    }
}
