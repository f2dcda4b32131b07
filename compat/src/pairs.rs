//! Pair walkers: how an element of the previous image finds its counterpart in the current
//! one, written once for every rule (buf's `NewBreaking*PairRuleHandler`). Files pair by
//! path; messages, enums and services by full name across the checked files; fields by
//! number within a message pair, extensions by (extendee, number); enum values by number;
//! oneofs and RPCs by name. Everything is keyed by hash maps: no quadratic scans.
//!
//! Pairs whose descriptors are identical (and whose file-level context, syntax and the
//! options rules read, is identical too) cannot break any rule, so the walkers skip them:
//! checking a registration against a long history then costs what actually changed.

use std::cell::OnceCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hasher;

use prost_reflect::{
    Cardinality, EnumDescriptor, EnumValueDescriptor, ExtensionDescriptor, FieldDescriptor,
    FileDescriptor, Kind, MessageDescriptor, MethodDescriptor, OneofDescriptor, ServiceDescriptor,
    Syntax, Value,
};
use prost_types::FieldDescriptorProto;

use crate::Image;

/// What an image's checked files contain, computed once per [`Image`] and cached in it:
/// files by path, and messages, enums and services by full name, each with a digest of its
/// descriptor and file context, so identical elements pair up without being compared field
/// by field.
#[derive(Debug)]
pub(crate) struct Index {
    files: Vec<(FileDescriptor, u128)>,
    contents: Vec<Contents>,
    extensions: Vec<ExtensionDescriptor>,
    extension_by_key: HashMap<(String, u32), usize>,
    by_path: HashMap<String, usize>,
    messages: Vec<MessageEntry>,
    message_by_name: HashMap<String, usize>,
    enums: Vec<(EnumDescriptor, u128)>,
    enum_by_name: HashMap<String, usize>,
    services: Vec<(ServiceDescriptor, u128)>,
    service_by_name: HashMap<String, usize>,
}

/// A message with the digests that let pairing skip what did not change: of the whole
/// message (`None` when it must always be compared) and of each field, by number.
#[derive(Debug)]
pub(crate) struct MessageEntry {
    message: MessageDescriptor,
    digest: Option<u128>,
    fields: Vec<(u32, Option<u128>)>,
}

/// The digest of a field: its descriptor, the file context, its oneof and map-ness;
/// `None` for proto2 enum fields (their implicit default lives in the enum).
fn field_digest(f: &Field, context: &[u8]) -> Option<u128> {
    if f.file().syntax() != Syntax::Proto3 && matches!(f.kind(), Kind::Enum(_)) {
        return None;
    }
    let oneof = f.real_oneof();
    let mut d = Digest::new();
    hash_field(&mut d, f.proto());
    d.bytes(context);
    d.str(oneof.as_ref().map_or("", |o| o.name()));
    d.int(i64::from(f.is_map()));
    Some(d.finish())
}

/// The digest of a message field from the raw descriptors, with the same inputs as
/// [`field_digest`] (the oneof's name unless synthetic, map-ness, the file context).
fn raw_field_digest(
    message: &prost_types::DescriptorProto,
    f: &FieldDescriptorProto,
    raw: u128,
    context: &[u8],
    proto3: bool,
) -> Option<u128> {
    const TYPE_MESSAGE: i32 = 11;
    const TYPE_ENUM: i32 = 14;
    const LABEL_REPEATED: i32 = 3;
    if !proto3 && f.r#type == Some(TYPE_ENUM) {
        return None;
    }
    let oneof = match f.oneof_index {
        Some(i) if !f.proto3_optional() => usize::try_from(i)
            .ok()
            .and_then(|i| message.oneof_decl.get(i))
            .map_or("", |o| o.name()),
        _ => "",
    };
    let entry = f.type_name().rsplit('.').next().unwrap_or("");
    let is_map = f.label == Some(LABEL_REPEATED)
        && f.r#type == Some(TYPE_MESSAGE)
        && message.nested_type.iter().any(|n| {
            n.name() == entry && n.options.as_ref().and_then(|o| o.map_entry) == Some(true)
        });
    let mut d = Digest::new();
    d.digests(&[raw]);
    d.bytes(context);
    d.str(oneof);
    d.int(i64::from(is_map));
    Some(d.finish())
}

/// The raw digest of field `number` in a sorted list.
fn field_digest_of_raw(fields: &[(u32, u128)], number: u32) -> Option<u128> {
    fields
        .binary_search_by_key(&number, |(n, _)| *n)
        .ok()
        .map(|i| fields[i].1)
}

/// The digest recorded for field `number`, if the field exists and has one.
fn field_digest_of(fields: &[(u32, Option<u128>)], number: u32) -> Option<u128> {
    fields
        .binary_search_by_key(&number, |(n, _)| *n)
        .ok()
        .and_then(|i| fields[i].1)
}

/// Digests of a file's descriptors computed in one pass, each field hashed once: for every
/// message (by full name) the digest of its descriptor, nested types included, and the
/// digests of its fields; and the digest of the whole file without its source info (which
/// changes with every edit).
struct FileDigests {
    file: u128,
    messages: MessageDigests,
}

/// Full name -> (digest of the message, digests of its fields sorted by number).
type MessageDigests = HashMap<String, (u128, Vec<(u32, u128)>)>;

impl FileDigests {
    fn new(file: &FileDescriptor) -> FileDigests {
        let p = file.file_descriptor_proto();
        let mut messages = HashMap::new();
        let top: Vec<u128> = p
            .message_type
            .iter()
            .map(|m| message_digest(p.package(), m, &mut messages))
            .collect();
        let mut d = Digest::new();
        d.str(p.name());
        d.str(p.package());
        d.str(p.syntax());
        d.message(p.options.as_ref());
        d.int(p.dependency.len() as i64);
        p.dependency.iter().for_each(|dep| d.str(dep));
        d.digests(&top);
        d.int(p.enum_type.len() as i64);
        p.enum_type.iter().for_each(|e| d.message(Some(e)));
        d.int(p.service.len() as i64);
        p.service.iter().for_each(|s| d.message(Some(s)));
        d.int(p.extension.len() as i64);
        p.extension.iter().for_each(|e| hash_field(&mut d, e));
        FileDigests {
            file: d.finish(),
            messages,
        }
    }
}

fn raw_field(f: &FieldDescriptorProto) -> u128 {
    let mut d = Digest::new();
    hash_field(&mut d, f);
    d.finish()
}

/// The digest of message `m` (declared in `scope`), recording it and those of its nested
/// messages in `out`.
fn message_digest(scope: &str, m: &prost_types::DescriptorProto, out: &mut MessageDigests) -> u128 {
    let full_name = if scope.is_empty() {
        m.name().to_owned()
    } else {
        format!("{scope}.{}", m.name())
    };
    let mut fields: Vec<(u32, u128)> = m
        .field
        .iter()
        .map(|f| (u32::try_from(f.number()).unwrap_or(0), raw_field(f)))
        .collect();
    let nested: Vec<u128> = m
        .nested_type
        .iter()
        .map(|n| message_digest(&full_name, n, out))
        .collect();
    let mut d = Digest::new();
    d.str(m.name());
    d.message(m.options.as_ref());
    d.digests(&fields.iter().map(|(_, f)| *f).collect::<Vec<_>>());
    d.digests(&nested);
    d.int(m.enum_type.len() as i64);
    m.enum_type.iter().for_each(|e| d.message(Some(e)));
    d.int(m.extension.len() as i64);
    m.extension.iter().for_each(|e| hash_field(&mut d, e));
    d.int(m.extension_range.len() as i64);
    m.extension_range.iter().for_each(|r| d.message(Some(r)));
    d.int(m.oneof_decl.len() as i64);
    m.oneof_decl.iter().for_each(|o| d.message(Some(o)));
    d.int(m.reserved_range.len() as i64);
    m.reserved_range.iter().for_each(|r| d.message(Some(r)));
    d.int(m.reserved_name.len() as i64);
    m.reserved_name.iter().for_each(|n| d.str(n));
    let digest = d.finish();
    fields.sort_unstable_by_key(|(n, _)| *n);
    out.insert(full_name, (digest, fields));
    digest
}

/// Feeds every part of a field descriptor to `d`.
fn hash_field(d: &mut Digest, f: &FieldDescriptorProto) {
    d.opt_str(f.name.as_deref());
    d.opt_int(f.number.map(i64::from));
    d.opt_int(f.label.map(i64::from));
    d.opt_int(f.r#type.map(i64::from));
    d.opt_str(f.type_name.as_deref());
    d.opt_str(f.extendee.as_deref());
    d.opt_str(f.default_value.as_deref());
    d.opt_int(f.oneof_index.map(i64::from));
    d.opt_str(f.json_name.as_deref());
    d.opt_int(f.proto3_optional.map(i64::from));
    d.message(f.options.as_ref());
}

/// A 128-bit digest (two SipHash passes with different prefixes) of typed parts, each
/// length- or tag-prefixed so that different sequences of parts never feed the same bytes.
struct Digest(DefaultHasher, DefaultHasher);

impl Digest {
    fn new() -> Digest {
        let mut b = DefaultHasher::new();
        b.write_u8(0xa5);
        Digest(DefaultHasher::new(), b)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for h in [&mut self.0, &mut self.1] {
            h.write_usize(bytes.len());
            h.write(bytes);
        }
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn int(&mut self, v: i64) {
        self.0.write_i64(v);
        self.1.write_i64(v);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.int(1);
                self.str(s);
            }
            None => self.int(0),
        }
    }

    fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.int(1);
                self.int(v);
            }
            None => self.int(0),
        }
    }

    /// An optional sub-message, encoded (options, ranges: small and rare).
    fn message<M: prost::Message>(&mut self, m: Option<&M>) {
        match m {
            Some(m) => {
                self.int(1);
                self.bytes(&m.encode_to_vec());
            }
            None => self.int(0),
        }
    }

    fn digests(&mut self, digests: &[u128]) {
        self.int(digests.len() as i64);
        for d in digests {
            self.0.write_u128(*d);
            self.1.write_u128(*d);
        }
    }

    fn finish(self) -> u128 {
        (u128::from(self.0.finish()) << 64) | u128::from(self.1.finish())
    }
}

/// The elements of one checked file, by nested name (buf's keys for FILE rules).
#[derive(Debug, Default)]
pub(crate) struct Contents {
    /// Messages (nested ones included) in declaration order, with their nested names.
    pub(crate) messages: Vec<(String, MessageDescriptor)>,
    /// Messages by nested name.
    pub(crate) message_by_nested: HashMap<String, MessageDescriptor>,
    /// Enums with their nested names.
    pub(crate) enums: Vec<(String, EnumDescriptor)>,
    /// Extensions with their nested names.
    pub(crate) extensions: Vec<(String, ExtensionDescriptor)>,
}

/// The file context message and field rules read besides the message itself.
fn file_context(file: &FileDescriptor) -> [u8; 2] {
    let utf8 = file
        .file_descriptor_proto()
        .options
        .as_ref()
        .and_then(|o| o.java_string_check_utf8);
    let syntax = match file.syntax() {
        Syntax::Proto2 => 2,
        Syntax::Proto3 => 3,
    };
    [syntax, utf8.map_or(0, |v| 1 + u8::from(v))]
}

impl Index {
    pub(crate) fn build(image: &Image) -> Index {
        let mut index = Index {
            files: Vec::new(),
            contents: Vec::new(),
            extensions: Vec::new(),
            extension_by_key: HashMap::new(),
            by_path: HashMap::new(),
            messages: Vec::new(),
            message_by_name: HashMap::new(),
            enums: Vec::new(),
            enum_by_name: HashMap::new(),
            services: Vec::new(),
            service_by_name: HashMap::new(),
        };
        for target in image.targets() {
            if index.by_path.contains_key(target.as_str()) {
                continue;
            }
            let Some(file) = image.pool().get_file_by_name(target) else {
                continue;
            };
            let digests = FileDigests::new(&file);
            let context = file_context(&file);
            let package = file.package_name();
            let mut contents = Contents::default();
            for m in messages_of(&file) {
                let nested = nested_name(m.full_name(), package).to_owned();
                contents.message_by_nested.insert(nested.clone(), m.clone());
                contents.messages.push((nested, m.clone()));
                // A proto2 enum field's implicit default is the first value of an enum
                // declared elsewhere: such messages are never taken as unchanged.
                let opaque = file.syntax() != Syntax::Proto3
                    && m.fields().any(|f| matches!(f.kind(), Kind::Enum(_)));
                let (message_raw, field_raws) = digests
                    .messages
                    .get(m.full_name())
                    .map_or((0, &[][..]), |(d, f)| (*d, f.as_slice()));
                let d = (!opaque).then(|| {
                    let mut d = Digest::new();
                    d.digests(&[message_raw]);
                    d.bytes(&context);
                    d.finish()
                });
                let proto3 = file.syntax() == Syntax::Proto3;
                let raw = m.descriptor_proto();
                let mut fields: Vec<(u32, Option<u128>)> = raw
                    .field
                    .iter()
                    .map(|f| {
                        let number = u32::try_from(f.number()).unwrap_or(0);
                        let digest = field_digest_of_raw(field_raws, number)
                            .and_then(|r| raw_field_digest(raw, f, r, &context, proto3));
                        (number, digest)
                    })
                    .collect();
                fields.sort_unstable_by_key(|(n, _)| *n);
                index
                    .message_by_name
                    .insert(m.full_name().to_owned(), index.messages.len());
                index.messages.push(MessageEntry {
                    message: m,
                    digest: d,
                    fields,
                });
            }
            for e in extensions_of(&file) {
                contents
                    .extensions
                    .push((nested_name(e.full_name(), package).to_owned(), e.clone()));
                let key = (e.containing_message().full_name().to_owned(), e.number());
                index
                    .extension_by_key
                    .entry(key)
                    .or_insert(index.extensions.len());
                index.extensions.push(e);
            }
            for e in enums_of(&file) {
                contents
                    .enums
                    .push((nested_name(e.full_name(), package).to_owned(), e.clone()));
                let mut d = Digest::new();
                d.message(Some(e.enum_descriptor_proto()));
                d.bytes(&context);
                let d = d.finish();
                index
                    .enum_by_name
                    .insert(e.full_name().to_owned(), index.enums.len());
                index.enums.push((e, d));
            }
            for s in file.services() {
                let mut d = Digest::new();
                d.message(Some(s.service_descriptor_proto()));
                let d = d.finish();
                index
                    .service_by_name
                    .insert(s.full_name().to_owned(), index.services.len());
                index.services.push((s, d));
            }
            index.by_path.insert(target.clone(), index.files.len());
            index.files.push((file, digests.file));
            index.contents.push(contents);
        }
        index
    }
}

/// One side of a comparison: the checked files of an image and what they contain.
pub(crate) struct Side<'a> {
    index: &'a Index,
    files: Vec<FileDescriptor>,
}

impl<'a> Side<'a> {
    pub(crate) fn new(image: &'a Image) -> Side<'a> {
        let index = image.index();
        Side {
            index,
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
                    let same = field_digest(&prev, &context(&prev)).is_some()
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
