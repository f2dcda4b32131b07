//! The indexed transitive check against the pairwise one: on random histories (a schema
//! mutated step by step, elements removed and re-added, versions deleted from the middle
//! and the history rebuilt, or kept as entries in a store and read back before each
//! push), under every level and several rule categories, `check_history` returns exactly the report of `check_level`: the same failing versions,
//! directions, rule IDs, messages and locations. With `Extent::FirstFailing` it returns the
//! newest failing version of that report.

use std::collections::BTreeMap;

use huntreg_compat::{
    check_history, check_level, Category, Extent, History, Image, Level, LevelReport, RuleSet,
};
use proptest::prelude::*;
mod support;

/// Field types: scalars, the file's enum, a message.
const TYPES: &[&str] = &[
    "int32", "int64", "string", "bytes", "bool", "E", "M0", "sint32",
];

/// A field of the model.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: u8,
    ty: u8,
    /// 0 implicit/optional, 1 repeated, 2 required (proto2 only), 3 in the oneof.
    label: u8,
}

/// One version of the schema.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    proto2: bool,
    /// Message index -> fields by number; message 0 always exists.
    messages: BTreeMap<u8, BTreeMap<u32, Field>>,
    reserved: Vec<u32>,
    /// Enum values by number (0 always present), name index.
    values: BTreeMap<i32, u8>,
    enum_reserved: Vec<i32>,
    methods: BTreeMap<u8, u8>,
    nested: bool,
}

#[derive(Debug, Clone)]
enum Mutation {
    AddField(u8, u32, Field),
    RemoveField(u8, u32),
    Retype(u8, u32, u8),
    Rename(u8, u32, u8),
    Relabel(u8, u32, u8),
    AddMessage(u8),
    RemoveMessage(u8),
    Reserve(u32),
    Unreserve,
    AddValue(i32, u8),
    RemoveValue(i32),
    RenameValue(i32, u8),
    ReserveValue(i32),
    AddMethod(u8, u8),
    RemoveMethod(u8),
    ToggleNested,
    ToggleSyntax,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let field = (0u8..4, 0..TYPES.len() as u8, 0u8..4).prop_map(|(name, ty, label)| Field {
        name,
        ty,
        label,
    });
    prop_oneof![
        6 => (0u8..3, 1u32..9, field).prop_map(|(m, n, f)| Mutation::AddField(m, n, f)),
        2 => (0u8..3, 1u32..9).prop_map(|(m, n)| Mutation::RemoveField(m, n)),
        1 => (0u8..3, 1u32..9, 0..TYPES.len() as u8).prop_map(|(m, n, t)| Mutation::Retype(m, n, t)),
        1 => (0u8..3, 1u32..9, 0u8..4).prop_map(|(m, n, x)| Mutation::Rename(m, n, x)),
        1 => (0u8..3, 1u32..9, 0u8..4).prop_map(|(m, n, l)| Mutation::Relabel(m, n, l)),
        2 => (1u8..3).prop_map(Mutation::AddMessage),
        1 => (1u8..3).prop_map(Mutation::RemoveMessage),
        1 => (1u32..9).prop_map(Mutation::Reserve),
        1 => Just(Mutation::Unreserve),
        5 => (1i32..12, 0u8..3).prop_map(|(n, x)| Mutation::AddValue(n, x)),
        1 => (1i32..12).prop_map(Mutation::RemoveValue),
        1 => (1i32..12, 0u8..3).prop_map(|(n, x)| Mutation::RenameValue(n, x)),
        1 => (1i32..12).prop_map(Mutation::ReserveValue),
        1 => (0u8..3, 0u8..2).prop_map(|(m, r)| Mutation::AddMethod(m, r)),
        1 => (0u8..3).prop_map(Mutation::RemoveMethod),
        1 => Just(Mutation::ToggleNested),
        1 => prop::bool::weighted(0.3).prop_map(|_| Mutation::ToggleSyntax),
    ]
}

impl Model {
    fn initial() -> Model {
        Model {
            proto2: false,
            messages: BTreeMap::from([(0, BTreeMap::new())]),
            reserved: Vec::new(),
            values: BTreeMap::from([(0, 0)]),
            enum_reserved: Vec::new(),
            methods: BTreeMap::new(),
            nested: false,
        }
    }

    fn apply(&mut self, m: &Mutation) {
        match m.clone() {
            Mutation::AddField(msg, n, f) => {
                if let Some(fields) = self.messages.get_mut(&msg) {
                    if !(msg == 0 && self.reserved.contains(&n)) {
                        fields.insert(n, f);
                    }
                }
            }
            Mutation::RemoveField(msg, n) => {
                self.messages.get_mut(&msg).map(|f| f.remove(&n));
            }
            Mutation::Retype(msg, n, t) => {
                if let Some(f) = self.messages.get_mut(&msg).and_then(|f| f.get_mut(&n)) {
                    f.ty = t;
                }
            }
            Mutation::Rename(msg, n, x) => {
                if let Some(f) = self.messages.get_mut(&msg).and_then(|f| f.get_mut(&n)) {
                    f.name = x;
                }
            }
            Mutation::Relabel(msg, n, l) => {
                if let Some(f) = self.messages.get_mut(&msg).and_then(|f| f.get_mut(&n)) {
                    f.label = l;
                }
            }
            Mutation::AddMessage(i) => {
                self.messages.entry(i).or_default();
            }
            Mutation::RemoveMessage(i) => {
                self.messages.remove(&i);
                self.methods.retain(|_, r| *r != i);
            }
            Mutation::Reserve(n) => {
                if !self.reserved.contains(&n) {
                    self.messages.get_mut(&0).map(|f| f.remove(&n));
                    self.reserved.push(n);
                    self.reserved.sort_unstable();
                }
            }
            Mutation::Unreserve => {
                self.reserved.pop();
            }
            Mutation::AddValue(n, x) => {
                if !self.enum_reserved.contains(&n) {
                    self.values.insert(n, x);
                }
            }
            Mutation::RemoveValue(n) => {
                self.values.remove(&n);
            }
            Mutation::RenameValue(n, x) => {
                if let Some(v) = self.values.get_mut(&n) {
                    *v = x;
                }
            }
            Mutation::ReserveValue(n) => {
                if !self.enum_reserved.contains(&n) {
                    self.values.remove(&n);
                    self.enum_reserved.push(n);
                    self.enum_reserved.sort_unstable();
                }
            }
            Mutation::AddMethod(m, r) => {
                if self.messages.contains_key(&r) {
                    self.methods.insert(m, r);
                }
            }
            Mutation::RemoveMethod(m) => {
                self.methods.remove(&m);
            }
            Mutation::ToggleNested => self.nested = !self.nested,
            Mutation::ToggleSyntax => self.proto2 = !self.proto2,
        }
    }

    fn render(&self) -> String {
        let mut out = format!(
            "syntax = \"{}\";\npackage hunt.v1;\n\n",
            if self.proto2 { "proto2" } else { "proto3" }
        );
        for (i, fields) in &self.messages {
            out.push_str(&format!("message M{i} {{\n"));
            let mut oneof = Vec::new();
            for (n, f) in fields {
                let ty = TYPES[usize::from(f.ty)];
                let line = format!("{ty} f{n}_{} = {n};", f.name);
                match f.label {
                    1 => out.push_str(&format!("  repeated {line}\n")),
                    2 if self.proto2 => out.push_str(&format!("  required {line}\n")),
                    3 => oneof.push(line),
                    _ if self.proto2 => out.push_str(&format!("  optional {line}\n")),
                    _ => out.push_str(&format!("  {line}\n")),
                }
            }
            if !oneof.is_empty() {
                out.push_str("  oneof choice {\n");
                for line in oneof {
                    out.push_str(&format!("    {line}\n"));
                }
                out.push_str("  }\n");
            }
            if *i == 0 {
                for n in &self.reserved {
                    out.push_str(&format!("  reserved {n};\n"));
                }
                if self.nested {
                    out.push_str("  message Inner {\n    string note = 1;\n  }\n");
                }
            }
            out.push_str("}\n");
        }
        out.push_str("enum E {\n");
        for (n, x) in &self.values {
            out.push_str(&format!("  E_{n}_{x} = {n};\n"));
        }
        for n in &self.enum_reserved {
            out.push_str(&format!("  reserved {n};\n"));
        }
        out.push_str("}\n");
        if !self.methods.is_empty() {
            out.push_str("service S {\n");
            for (m, r) in &self.methods {
                out.push_str(&format!("  rpc Call{m}(M{r}) returns (M0);\n"));
            }
            out.push_str("}\n");
        }
        out
    }
}

/// The image of `text`, or `None` when the model produced something protox refuses
/// (a proto2 field named like a proto3 one after a syntax flip, and similar).
fn image(text: &str, source_info: bool) -> Option<Image> {
    support::compile_one("hunt.proto", text, source_info).ok()
}

/// A history: the models of its versions, which positions were deleted, and the new one.
fn scenario() -> impl Strategy<Value = (Vec<Model>, Vec<bool>, Model)> {
    (
        prop::collection::vec(prop::collection::vec(mutation(), 1..4), 1..14),
        prop::collection::vec(prop::bool::weighted(0.15), 14),
        prop::collection::vec(mutation(), 0..4),
    )
        .prop_map(|(steps, deleted, last)| {
            let mut model = Model::initial();
            let mut versions = Vec::new();
            for step in steps {
                for m in &step {
                    model.apply(m);
                }
                versions.push(model.clone());
            }
            for m in &last {
                model.apply(m);
            }
            (versions, deleted, model)
        })
}

fn report_of(r: &LevelReport) -> Vec<(usize, String, Vec<String>)> {
    r.pairs
        .iter()
        .map(|p| {
            (
                p.against,
                format!("{:?}", p.direction),
                p.report
                    .findings
                    .iter()
                    .map(|f| format!("{f} {:?} {:?}", f.location, f.against))
                    .collect(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn indexed_check_equals_pairwise(
        (versions, deleted, new) in scenario(),
        source_info in any::<bool>(),
        retire in any::<bool>(),
        persisted in any::<bool>(),
    ) {
        // Deleted versions leave the history: either it is rebuilt from what is left, or
        // it keeps every version and retires the deleted ones.
        let all: Vec<(Image, bool)> = versions
            .iter()
            .zip(&deleted)
            .filter_map(|(m, d)| image(&m.render(), source_info).map(|i| (i, *d)))
            .collect();
        let kept: Vec<Image> = all.iter().filter(|(_, d)| !d).map(|(i, _)| i.clone()).collect();
        let Some(new) = image(&new.render(), true) else { return Ok(()) };
        let mut history = History::new();
        if persisted {
            // Kept as entries in a store: each version writes only the entries it changed,
            // and the history is read back from the store before every push.
            let mut store = BTreeMap::new();
            for (img, _) in &all {
                history = History::from_entries(
                    history.positions(),
                    store.iter().map(|(k, v): (&[u8; 16], &Vec<u8>)| (&k[..], &v[..])),
                )
                .expect("entries read back");
                let changed = history.push_changes(img);
                store.extend(history.entries_where(|key| changed.binary_search(key).is_ok()));
            }
            let want: BTreeMap<_, _> = history.entries().into_iter().collect();
            prop_assert_eq!(&store, &want);
            let gone: Vec<usize> = all.iter().enumerate().filter(|(_, (_, d))| *d).map(|(i, _)| i).collect();
            history.retire(&gone);
        } else if retire {
            for (img, _) in &all {
                history.push(img);
            }
            let gone: Vec<usize> = all.iter().enumerate().filter(|(_, (_, d))| *d).map(|(i, _)| i).collect();
            history.retire(&gone);
        } else {
            for img in &kept {
                history.push(img);
            }
        }
        prop_assert_eq!(history.len(), kept.len());
        let refs: Vec<&Image> = kept.iter().collect();
        for category in [Category::Csr, Category::Wire, Category::File] {
            let rules = RuleSet::category(category);
            for level in Level::ALL {
                let pairwise = check_level(level, &new, &refs, &rules);
                let indexed = check_history(level, &new, kept.len(), Some(&history), &rules, Extent::Every, |i| {
                    Ok::<_, ()>(kept[i].clone())
                })
                .unwrap();
                prop_assert_eq!(report_of(&indexed), report_of(&pairwise), "{} {:?}", level, category);
                let first = check_history(level, &new, kept.len(), Some(&history), &rules, Extent::FirstFailing, |i| {
                    Ok::<_, ()>(kept[i].clone())
                })
                .unwrap();
                let newest = pairwise.pairs.first().map(|p| p.against);
                let want: Vec<_> = report_of(&pairwise)
                    .into_iter()
                    .filter(|(against, _, _)| Some(*against) == newest)
                    .collect();
                prop_assert_eq!(report_of(&first), want);
            }
        }
    }
}

/// A history that only grows (the field report's cadence: one enum value per version)
/// names no suspect at all: nothing is compared pair by pair.
#[test]
fn a_growing_history_has_no_suspects() {
    let mut model = Model::initial();
    let mut history = History::new();
    for n in 1..200 {
        model.apply(&Mutation::AddValue(n, 0));
        if n % 7 == 0 {
            model.apply(&Mutation::AddField(
                0,
                (n as u32 % 8) + 1,
                Field {
                    name: 0,
                    ty: 0,
                    label: 0,
                },
            ));
        }
        history.push(&image(&model.render(), false).unwrap());
    }
    model.apply(&Mutation::AddValue(500, 1));
    let new = image(&model.render(), true).unwrap();
    let rules = RuleSet::category(Category::Csr);
    let mut loaded = 0;
    let report = check_history(
        Level::FullTransitive,
        &new,
        history.len(),
        Some(&history),
        &rules,
        Extent::Every,
        |_| {
            loaded += 1;
            Err::<Image, ()>(())
        },
    )
    .unwrap();
    assert!(report.is_compatible());
    assert_eq!(loaded, 0);
    // Deleting an enum value that every version had makes every version a suspect, and
    // the report names the newest first.
    model.apply(&Mutation::RemoveValue(1));
    let new = image(&model.render(), true).unwrap();
    let suspects = history.suspects(&new);
    assert_eq!(suspects.count(huntreg_compat::Direction::Backward), 199);
    assert_eq!(suspects.count(huntreg_compat::Direction::Forward), 0);
}
