//! The index of an [`Image`]: what its checked files contain (files by path; messages,
//! enums, services and extensions by name; each file's elements by nested name), with
//! 128-bit digests of every descriptor and its file context, so the pair walkers can skip
//! elements that did not change. Built once per image, on first check, and cached in it.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::Hasher;

use prost_reflect::{
    EnumDescriptor, ExtensionDescriptor, FileDescriptor, Kind, MessageDescriptor,
    ServiceDescriptor, Syntax,
};
use prost_types::FieldDescriptorProto;

use crate::pairs::{enums_of, extensions_of, messages_of, nested_name, Field};
use crate::Image;

/// What an image's checked files contain, computed once per [`Image`] and cached in it:
/// files by path, and messages, enums and services by full name, each with a digest of its
/// descriptor and file context, so identical elements pair up without being compared field
/// by field.
#[derive(Debug)]
pub(crate) struct Index {
    pub(crate) files: Vec<(FileDescriptor, u128)>,
    pub(crate) contents: Vec<Contents>,
    pub(crate) extensions: Vec<ExtensionDescriptor>,
    pub(crate) extension_by_key: HashMap<(String, u32), usize>,
    pub(crate) by_path: HashMap<String, usize>,
    pub(crate) messages: Vec<MessageEntry>,
    pub(crate) message_by_name: HashMap<String, usize>,
    pub(crate) enums: Vec<(EnumDescriptor, u128)>,
    pub(crate) enum_by_name: HashMap<String, usize>,
    pub(crate) services: Vec<(ServiceDescriptor, u128)>,
    pub(crate) service_by_name: HashMap<String, usize>,
}

/// A message with the digests that let pairing skip what did not change: of the whole
/// message (`None` when it must always be compared) and of each field, by number.
#[derive(Debug)]
pub(crate) struct MessageEntry {
    pub(crate) message: MessageDescriptor,
    pub(crate) digest: Option<u128>,
    pub(crate) fields: Vec<(u32, Option<u128>)>,
}

/// The digest of a field: its descriptor, the file context, its oneof and map-ness;
/// `None` for proto2 enum fields (their implicit default lives in the enum).
pub(crate) fn field_digest(f: &Field, context: &[u8]) -> Option<u128> {
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
pub(crate) fn field_digest_of(fields: &[(u32, Option<u128>)], number: u32) -> Option<u128> {
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
    /// `edition` is the edition the file's source declares (see [`Image::declared_edition`]):
    /// an editions file and its proto2 or proto3 equivalent differ in syntax only.
    fn new(file: &FileDescriptor, edition: Option<&str>) -> FileDigests {
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
        d.str(edition.unwrap_or_default());
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
pub(crate) fn hash_field(d: &mut Digest, f: &FieldDescriptorProto) {
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
pub(crate) struct Digest(DefaultHasher, DefaultHasher);

impl Digest {
    pub(crate) fn new() -> Digest {
        let mut b = DefaultHasher::new();
        b.write_u8(0xa5);
        Digest(DefaultHasher::new(), b)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for h in [&mut self.0, &mut self.1] {
            h.write_usize(bytes.len());
            h.write(bytes);
        }
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub(crate) fn int(&mut self, v: i64) {
        self.0.write_i64(v);
        self.1.write_i64(v);
    }

    pub(crate) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.int(1);
                self.str(s);
            }
            None => self.int(0),
        }
    }

    pub(crate) fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.int(1);
                self.int(v);
            }
            None => self.int(0),
        }
    }

    /// An optional sub-message, encoded (options, ranges: small and rare).
    pub(crate) fn message<M: prost::Message>(&mut self, m: Option<&M>) {
        match m {
            Some(m) => {
                self.int(1);
                self.bytes(&m.encode_to_vec());
            }
            None => self.int(0),
        }
    }

    pub(crate) fn digests(&mut self, digests: &[u128]) {
        self.int(digests.len() as i64);
        for d in digests {
            self.0.write_u128(*d);
            self.1.write_u128(*d);
        }
    }

    pub(crate) fn finish(self) -> u128 {
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
pub(crate) fn file_context(file: &FileDescriptor) -> [u8; 2] {
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
            let digests = FileDigests::new(&file, image.declared_edition(target));
            // The declared edition joins the file context: edition 2024 changes field
            // defaults (the C++ string type) that its proto3 or proto2 form cannot show.
            let mut context = file_context(&file).to_vec();
            context.extend_from_slice(
                image
                    .declared_edition(target)
                    .unwrap_or_default()
                    .as_bytes(),
            );
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
