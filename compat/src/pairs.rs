//! Pair walkers: how an element of the previous image finds its counterpart in the current
//! one, written once for every rule (buf's `NewBreaking*PairRuleHandler`). Files pair by
//! path; messages, enums and services by full name across the checked files; fields by
//! number within a message pair, extensions by (extendee, number); enum values by number;
//! oneofs and RPCs by name. Everything is keyed by hash maps: no quadratic scans.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use prost_reflect::{
    Cardinality, EnumDescriptor, EnumValueDescriptor, ExtensionDescriptor, FieldDescriptor,
    FileDescriptor, Kind, MessageDescriptor, MethodDescriptor, OneofDescriptor, ServiceDescriptor,
    Value,
};
use prost_types::FieldDescriptorProto;

use crate::Image;

/// One side of a comparison: the checked files of an image, by path.
pub(crate) struct Side<'a> {
    pub(crate) image: &'a Image,
    files: Vec<FileDescriptor>,
    by_name: HashMap<&'a str, usize>,
}

impl<'a> Side<'a> {
    pub(crate) fn new(image: &'a Image) -> Side<'a> {
        let mut files = Vec::with_capacity(image.targets().len());
        let mut by_name = HashMap::with_capacity(image.targets().len());
        for target in image.targets() {
            if by_name.contains_key(target.as_str()) {
                continue;
            }
            if let Some(file) = image.pool().get_file_by_name(target) {
                by_name.insert(target.as_str(), files.len());
                files.push(file);
            }
        }
        Side {
            image,
            files,
            by_name,
        }
    }

    /// The checked files, in target order.
    pub(crate) fn files(&self) -> &[FileDescriptor] {
        &self.files
    }

    /// The checked file at `path`.
    pub(crate) fn file(&self, path: &str) -> Option<&FileDescriptor> {
        self.by_name.get(path).map(|&i| &self.files[i])
    }

    fn is_checked(&self, file: &FileDescriptor) -> bool {
        self.by_name.contains_key(file.name())
    }

    /// The message named `full_name`, if it lives in a checked file.
    pub(crate) fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        let m = self.image.pool().get_message_by_name(full_name)?;
        self.is_checked(&m.parent_file()).then_some(m)
    }

    /// The enum named `full_name`, if it lives in a checked file.
    pub(crate) fn enum_(&self, full_name: &str) -> Option<EnumDescriptor> {
        let e = self.image.pool().get_enum_by_name(full_name)?;
        self.is_checked(&e.parent_file()).then_some(e)
    }

    fn service(&self, full_name: &str) -> Option<ServiceDescriptor> {
        let s = self.image.pool().get_service_by_name(full_name)?;
        self.is_checked(&s.parent_file()).then_some(s)
    }
}

/// Every message of `file`, nested ones included (map entries and groups too), depth first.
pub(crate) fn messages_of(file: &FileDescriptor) -> Vec<MessageDescriptor> {
    let mut out = Vec::new();
    let mut stack: Vec<MessageDescriptor> = file.messages().collect();
    stack.reverse();
    while let Some(m) = stack.pop() {
        let mut children: Vec<MessageDescriptor> = m.child_messages().collect();
        children.reverse();
        out.push(m);
        stack.extend(children);
    }
    out
}

/// Every enum of `file`, nested ones included.
pub(crate) fn enums_of(file: &FileDescriptor) -> Vec<EnumDescriptor> {
    let mut out: Vec<EnumDescriptor> = file.enums().collect();
    for m in messages_of(file) {
        out.extend(m.child_enums());
    }
    out
}

/// Every extension declared in `file`, at top level or inside a message.
pub(crate) fn extensions_of(file: &FileDescriptor) -> Vec<ExtensionDescriptor> {
    let mut out: Vec<ExtensionDescriptor> = file.extensions().collect();
    for m in messages_of(file) {
        out.extend(m.child_extensions());
    }
    out
}

/// The name of an element without its package (`Outer.Inner`), as buf's `NestedName`.
pub(crate) fn nested_name<'n>(full_name: &'n str, package: &str) -> &'n str {
    if package.is_empty() {
        full_name
    } else {
        full_name
            .strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full_name)
    }
}

/// A message field or an extension: the two things a field rule compares.
#[derive(Debug, Clone)]
pub(crate) enum Field {
    /// A field declared in a message.
    Field(FieldDescriptor),
    /// An extension field.
    Extension(ExtensionDescriptor),
}

impl Field {
    pub(crate) fn proto(&self) -> &FieldDescriptorProto {
        match self {
            Field::Field(f) => f.field_descriptor_proto(),
            Field::Extension(e) => e.field_descriptor_proto(),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Field::Field(f) => f.kind(),
            Field::Extension(e) => e.kind(),
        }
    }

    pub(crate) fn is_group(&self) -> bool {
        match self {
            Field::Field(f) => f.is_group(),
            Field::Extension(e) => e.is_group(),
        }
    }

    pub(crate) fn is_list(&self) -> bool {
        match self {
            Field::Field(f) => f.is_list(),
            Field::Extension(e) => e.is_list(),
        }
    }

    pub(crate) fn is_map(&self) -> bool {
        match self {
            Field::Field(f) => f.is_map(),
            Field::Extension(e) => e.is_map(),
        }
    }

    pub(crate) fn cardinality(&self) -> Cardinality {
        match self {
            Field::Field(f) => f.cardinality(),
            Field::Extension(e) => e.cardinality(),
        }
    }

    pub(crate) fn supports_presence(&self) -> bool {
        match self {
            Field::Field(f) => f.supports_presence(),
            Field::Extension(e) => e.supports_presence(),
        }
    }

    pub(crate) fn json_name(&self) -> &str {
        match self {
            Field::Field(f) => f.json_name(),
            Field::Extension(e) => e.json_name(),
        }
    }

    pub(crate) fn default_value(&self) -> Value {
        match self {
            Field::Field(f) => f.default_value(),
            Field::Extension(e) => e.default_value(),
        }
    }

    pub(crate) fn path(&self) -> &[i32] {
        match self {
            Field::Field(f) => f.path(),
            Field::Extension(e) => e.path(),
        }
    }

    pub(crate) fn file(&self) -> FileDescriptor {
        match self {
            Field::Field(f) => f.parent_file(),
            Field::Extension(e) => e.parent_file(),
        }
    }

    /// The containing oneof, synthetic ones (proto3 `optional`) excluded.
    pub(crate) fn real_oneof(&self) -> Option<OneofDescriptor> {
        match self {
            Field::Field(f) => f.containing_oneof().filter(|o| !o.is_synthetic()),
            Field::Extension(_) => None,
        }
    }

    /// For the key and value fields of a map entry, the path of the `map<K, V>` type token of
    /// the map field that declares the entry: buf (protocompile) puts every location inside
    /// a synthesized map entry there, while protox records none.
    pub(crate) fn map_type_path(&self) -> Option<Vec<i32>> {
        let Field::Field(f) = self else {
            return None;
        };
        let entry = f.parent_message();
        if !entry.is_map_entry() {
            return None;
        }
        let owner = entry.parent_message()?;
        let field = owner.fields().find(|of| match of.kind() {
            Kind::Message(m) => m.full_name() == entry.full_name(),
            _ => false,
        })?;
        let mut path = field.path().to_vec();
        path.push(6);
        Some(path)
    }

    /// True for the key and value fields of a map entry.
    pub(crate) fn in_map_entry(&self) -> bool {
        match self {
            Field::Field(f) => f.parent_message().is_map_entry(),
            Field::Extension(_) => false,
        }
    }
}

/// Two files at the same path.
pub(crate) struct FilePair {
    pub(crate) prev: FileDescriptor,
    pub(crate) cur: FileDescriptor,
}

/// Two messages with the same full name.
pub(crate) struct MessagePair {
    pub(crate) prev: MessageDescriptor,
    pub(crate) cur: MessageDescriptor,
}

/// Two fields with the same number in paired messages, or two extensions of the same
/// message with the same number.
pub(crate) struct FieldPair {
    pub(crate) prev: Field,
    pub(crate) cur: Field,
}

/// Two enums with the same full name.
pub(crate) struct EnumPair {
    pub(crate) prev: EnumDescriptor,
    pub(crate) cur: EnumDescriptor,
}

/// The values bound to one number in two paired enums (several with `allow_alias`).
pub(crate) struct EnumValuePair {
    pub(crate) prev: Vec<EnumValueDescriptor>,
    pub(crate) cur: Vec<EnumValueDescriptor>,
}

/// Two services with the same full name.
pub(crate) struct ServicePair {
    pub(crate) prev: ServiceDescriptor,
    pub(crate) cur: ServiceDescriptor,
}

/// Two methods with the same name in paired services.
pub(crate) struct MethodPair {
    pub(crate) prev: MethodDescriptor,
    pub(crate) cur: MethodDescriptor,
}

/// The pairs of one comparison, each kind computed on first use.
pub(crate) struct Pairs<'a> {
    prev: &'a Side<'a>,
    cur: &'a Side<'a>,
    files: OnceCell<Vec<FilePair>>,
    messages: OnceCell<Vec<MessagePair>>,
    fields: OnceCell<Vec<FieldPair>>,
    enums: OnceCell<Vec<EnumPair>>,
    enum_values: OnceCell<Vec<EnumValuePair>>,
    services: OnceCell<Vec<ServicePair>>,
    methods: OnceCell<Vec<MethodPair>>,
}

impl<'a> Pairs<'a> {
    pub(crate) fn new(prev: &'a Side<'a>, cur: &'a Side<'a>) -> Pairs<'a> {
        Pairs {
            prev,
            cur,
            files: OnceCell::new(),
            messages: OnceCell::new(),
            fields: OnceCell::new(),
            enums: OnceCell::new(),
            enum_values: OnceCell::new(),
            services: OnceCell::new(),
            methods: OnceCell::new(),
        }
    }

    pub(crate) fn files(&self) -> &[FilePair] {
        self.files.get_or_init(|| {
            self.prev
                .files()
                .iter()
                .filter_map(|p| {
                    self.cur.file(p.name()).map(|c| FilePair {
                        prev: p.clone(),
                        cur: c.clone(),
                    })
                })
                .collect()
        })
    }

    pub(crate) fn messages(&self) -> &[MessagePair] {
        self.messages.get_or_init(|| {
            let mut out = Vec::new();
            for file in self.prev.files() {
                for prev in messages_of(file) {
                    if let Some(cur) = self.cur.message(prev.full_name()) {
                        out.push(MessagePair { prev, cur });
                    }
                }
            }
            out
        })
    }

    pub(crate) fn fields(&self) -> &[FieldPair] {
        self.fields.get_or_init(|| {
            let mut out = Vec::new();
            for pair in self.messages() {
                for prev in pair.prev.fields() {
                    if let Some(cur) = pair.cur.get_field(prev.number()) {
                        out.push(FieldPair {
                            prev: Field::Field(prev),
                            cur: Field::Field(cur),
                        });
                    }
                }
            }
            let mut current: HashMap<(String, u32), ExtensionDescriptor> = HashMap::new();
            for file in self.cur.files() {
                for ext in extensions_of(file) {
                    let key = (
                        ext.containing_message().full_name().to_owned(),
                        ext.number(),
                    );
                    current.entry(key).or_insert(ext);
                }
            }
            for file in self.prev.files() {
                for prev in extensions_of(file) {
                    let key = (
                        prev.containing_message().full_name().to_owned(),
                        prev.number(),
                    );
                    if let Some(cur) = current.get(&key) {
                        out.push(FieldPair {
                            prev: Field::Extension(prev),
                            cur: Field::Extension(cur.clone()),
                        });
                    }
                }
            }
            out
        })
    }

    pub(crate) fn enums(&self) -> &[EnumPair] {
        self.enums.get_or_init(|| {
            let mut out = Vec::new();
            for file in self.prev.files() {
                for prev in enums_of(file) {
                    if let Some(cur) = self.cur.enum_(prev.full_name()) {
                        out.push(EnumPair { prev, cur });
                    }
                }
            }
            out
        })
    }

    pub(crate) fn enum_values(&self) -> &[EnumValuePair] {
        self.enum_values.get_or_init(|| {
            let mut out = Vec::new();
            for pair in self.enums() {
                let mut cur = by_number(&pair.cur);
                for (number, prev) in by_number(&pair.prev) {
                    if let Some(cur) = cur.remove(&number) {
                        out.push(EnumValuePair { prev, cur });
                    }
                }
            }
            out
        })
    }

    pub(crate) fn services(&self) -> &[ServicePair] {
        self.services.get_or_init(|| {
            let mut out = Vec::new();
            for file in self.prev.files() {
                for prev in file.services() {
                    if let Some(cur) = self.cur.service(prev.full_name()) {
                        out.push(ServicePair { prev, cur });
                    }
                }
            }
            out
        })
    }

    pub(crate) fn methods(&self) -> &[MethodPair] {
        self.methods.get_or_init(|| {
            let mut out = Vec::new();
            for pair in self.services() {
                let cur: HashMap<String, MethodDescriptor> = pair
                    .cur
                    .methods()
                    .map(|m| (m.name().to_owned(), m))
                    .collect();
                for prev in pair.prev.methods() {
                    if let Some(cur) = cur.get(prev.name()) {
                        out.push(MethodPair {
                            prev,
                            cur: cur.clone(),
                        });
                    }
                }
            }
            out
        })
    }
}

/// An enum's values grouped by number, in declaration order within a number.
pub(crate) fn by_number(e: &EnumDescriptor) -> BTreeMap<i32, Vec<EnumValueDescriptor>> {
    let mut out: BTreeMap<i32, Vec<EnumValueDescriptor>> = BTreeMap::new();
    for v in e.values() {
        out.entry(v.number()).or_default().push(v);
    }
    out
}
