//! Pair walkers: how an element of the previous image finds its counterpart in the current
//! one, written once for every rule (buf's `NewBreaking*PairRuleHandler`). Files pair by
//! path; messages, enums and services by full name across the checked files; fields by
//! number within a message pair, extensions by (extendee, number); enum values by number;
//! oneofs and RPCs by name. Everything is keyed by hash maps: no quadratic scans.
//!
//! Pairs whose descriptors are identical (and whose file-level context, syntax and the
//! options rules read, is identical too) cannot break any rule, so the walkers skip them,
//! comparing the digests of [`crate::index`]: checking a registration against a long
//! history then costs what actually changed.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use prost_reflect::{
    Cardinality, EnumDescriptor, EnumValueDescriptor, ExtensionDescriptor, FieldDescriptor,
    FileDescriptor, Kind, MessageDescriptor, MethodDescriptor, OneofDescriptor, ServiceDescriptor,
    Value,
};
use prost_types::FieldDescriptorProto;

use crate::index::{field_digest, field_digest_of, file_context, Contents, Index, MessageEntry};
use crate::Image;

/// One side of a comparison: the checked files of an image and what they contain.
pub(crate) struct Side<'a> {
    index: &'a Index,
    files: Vec<FileDescriptor>,
    image: &'a Image,
}

impl<'a> Side<'a> {
    /// The edition file `name`'s source declares, when its source is attached (see
    /// [`Image::declared_edition`]).
    pub(crate) fn declared_edition(&self, name: &str) -> Option<&'a str> {
        self.image.declared_edition(name)
    }

    pub(crate) fn new(image: &'a Image) -> Side<'a> {
        let index = image.index();
        Side {
            index,
            image,
            files: index.files.iter().map(|(f, _)| f.clone()).collect(),
        }
    }

    /// The checked files, in target order.
    pub(crate) fn files(&self) -> &[FileDescriptor] {
        &self.files
    }

    /// The checked file at `path`.
    pub(crate) fn file(&self, path: &str) -> Option<&FileDescriptor> {
        self.index.by_path.get(path).map(|&i| &self.files[i])
    }

    /// What the checked file at `path` declares, by nested name.
    pub(crate) fn contents(&self, path: &str) -> Option<&'a Contents> {
        let index: &'a Index = self.index;
        index.by_path.get(path).map(|&i| &index.contents[i])
    }

    fn file_digest(&self, path: &str) -> Option<u128> {
        self.index.by_path.get(path).map(|&i| self.index.files[i].1)
    }

    fn message_entry(&self, full_name: &str) -> Option<&MessageEntry> {
        self.index
            .message_by_name
            .get(full_name)
            .map(|&i| &self.index.messages[i])
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
    /// Index of `prev` in the previous image's index (for its field digests).
    prev_fields: usize,
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
                    let c = self.cur.file(p.name())?;
                    let same = self.prev.file_digest(p.name()) == self.cur.file_digest(p.name());
                    (!same).then(|| FilePair {
                        prev: p.clone(),
                        cur: c.clone(),
                    })
                })
                .collect()
        })
    }

    pub(crate) fn messages(&self) -> &[MessagePair] {
        self.messages.get_or_init(|| {
            let (prev_index, cur_index) = (self.prev.index, self.cur.index);
            let mut out = Vec::new();
            for (i, prev) in prev_index.messages.iter().enumerate() {
                // Versions usually keep declaration order: try the same position first.
                let name = prev.message.full_name();
                let cur = match cur_index.messages.get(i) {
                    Some(c) if c.message.full_name() == name => Some(c),
                    _ => self.cur.message_entry(name),
                };
                let Some(cur) = cur else {
                    continue;
                };
                if prev.digest.is_none() || prev.digest != cur.digest {
                    out.push(MessagePair {
                        prev: prev.message.clone(),
                        cur: cur.message.clone(),
                        prev_fields: i,
                    });
                }
            }
            out
        })
    }

    pub(crate) fn fields(&self) -> &[FieldPair] {
        self.fields.get_or_init(|| {
            let mut out = Vec::new();
            for pair in self.messages() {
                let prev_digests = &self.prev.index.messages[pair.prev_fields].fields;
                let cur_digests = self
                    .cur
                    .message_entry(pair.cur.full_name())
                    .map(|e| &e.fields);
                for prev in pair.prev.fields() {
                    let number = prev.number();
                    let digest = field_digest_of(prev_digests, number);
                    let cur_digest = cur_digests.and_then(|d| field_digest_of(d, number));
                    if digest.is_some() && digest == cur_digest {
                        continue;
                    }
                    if let Some(cur) = pair.cur.get_field(number) {
                        out.push(FieldPair {
                            prev: Field::Field(prev),
                            cur: Field::Field(cur),
                        });
                    }
                }
            }
            let current = self.cur.index;
            for ((extendee, number), &i) in &self.prev.index.extension_by_key {
                if let Some(&j) = current.extension_by_key.get(&(extendee.clone(), *number)) {
                    let prev = Field::Extension(self.prev.index.extensions[i].clone());
                    let cur = Field::Extension(current.extensions[j].clone());
                    let context = |f: &Field| file_context(&f.file());
                    // Digests do not cover the declaring scope: an extension moved into
                    // a message keeps its digest but changes its full name (FIELD_SAME_NAME).
                    let full_name = |f: &Field| match f {
                        Field::Extension(e) => e.full_name().to_owned(),
                        Field::Field(f) => f.full_name().to_owned(),
                    };
                    let same = full_name(&prev) == full_name(&cur)
                        && field_digest(&prev, &context(&prev)).is_some()
                        && field_digest(&prev, &context(&prev))
                            == field_digest(&cur, &context(&cur));
                    if !same {
                        out.push(FieldPair { prev, cur });
                    }
                }
            }
            out
        })
    }

    pub(crate) fn enums(&self) -> &[EnumPair] {
        self.enums.get_or_init(|| {
            let mut out = Vec::new();
            for (prev, prev_digest) in &self.prev.index.enums {
                let Some(&i) = self.cur.index.enum_by_name.get(prev.full_name()) else {
                    continue;
                };
                let (cur, cur_digest) = &self.cur.index.enums[i];
                if prev_digest != cur_digest {
                    out.push(EnumPair {
                        prev: prev.clone(),
                        cur: cur.clone(),
                    });
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
            for (prev, prev_digest) in &self.prev.index.services {
                let Some(&i) = self.cur.index.service_by_name.get(prev.full_name()) else {
                    continue;
                };
                let (cur, cur_digest) = &self.cur.index.services[i];
                if prev_digest != cur_digest {
                    out.push(ServicePair {
                        prev: prev.clone(),
                        cur: cur.clone(),
                    });
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
