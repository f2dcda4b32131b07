//! The canonical `.proto` text of a compiled file, laid out as Confluent prints it
//! (`ProtobufSchemaUtils.toString`): syntax, package, imports, options, then all messages
//! before all enums, no comments. With `normalize`, Confluent's normalized form: sorted
//! imports, options, fields, oneofs and enum values; split reserved ranges.
//!
//! Message declaration order is never changed: the wire format's message index points
//! into it. Synthetic map-entry messages are printed as `map<K, V>` fields; type names are
//! fully qualified with a leading dot, so the text means the same wherever it is read.
//!
//! A file written in an edition is printed in its edition ([`canonical_text_in`]): the pool
//! holds it as its exactly equivalent proto2 or proto3 form (the vendored protox lowers
//! editions files, `docs/editions.md`), and every resolved feature is read back from that
//! form and printed where it differs from the edition's defaults. The proto2 form's closed
//! enums, unverified strings and best-effort JSON are file-wide `features` options (as a
//! proto2 file migrated to an edition has them); field presence, repeated field encoding and
//! delimited message encoding are options of each field.

use std::fmt::Write;

use prost_reflect::{
    DynamicMessage, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MapKey,
    MessageDescriptor, Value,
};
use prost_types::field_descriptor_proto::{Label, Type};

/// The highest field number (`max` in field and extension ranges).
const FIELD_MAX: i32 = 536_870_911;
/// The highest enum number (`max` in enum reserved ranges).
const ENUM_MAX: i32 = i32::MAX;

/// Prints `file` canonically.
pub fn canonical_text(file: &FileDescriptor, normalize: bool) -> String {
    canonical_text_in(file, normalize, None)
}

/// Prints `file` canonically in `edition` (`google.protobuf.Edition`'s number, as
/// [`protox::file::FileMetadata::edition`] reports it), or as proto2 or proto3 when `None`
/// or an edition this printer does not know.
///
/// `file` is the pool's proto2 or proto3 form of the editions file; the text compiles back
/// to that same form.
pub fn canonical_text_in(file: &FileDescriptor, normalize: bool, edition: Option<i32>) -> String {
    let edition = edition.and_then(|e| edition_name(e).map(|name| (e, name)));
    Printer {
        normalize,
        edition: edition.map(|(_, name)| name),
    }
    .file(file)
}

/// The edition a canonical text is printed in (its first line `edition = "…";`), as
/// `google.protobuf.Edition`'s number; `None` for proto2 and proto3 text.
pub fn canonical_edition(canonical: &str) -> Option<i32> {
    let name = canonical.strip_prefix("edition = \"")?.split_once("\";")?.0;
    EDITIONS.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
}

/// The editions the printer writes, by `google.protobuf.Edition` number.
const EDITIONS: &[(i32, &str)] = &[
    (protox::editions::EDITION_2023, "2023"),
    (protox::editions::EDITION_2024, "2024"),
];

fn edition_name(edition: i32) -> Option<&'static str> {
    EDITIONS
        .iter()
        .find(|(e, _)| *e == edition)
        .map(|(_, n)| *n)
}

/// The file-wide features of an editions file whose equivalent form is proto2: what that
/// form cannot express otherwise (a proto2 file migrated to an edition declares the same).
const PROTO2_FORM_FEATURES: &[(&str, &str)] = &[
    ("features.enum_type", "CLOSED"),
    ("features.json_format", "LEGACY_BEST_EFFORT"),
    ("features.utf8_validation", "NONE"),
];

struct Printer {
    normalize: bool,
    /// The edition to print in (`"2023"`), or `None` for proto2 and proto3 text.
    edition: Option<&'static str>,
}

impl Printer {
    fn file(&self, file: &FileDescriptor) -> String {
        let proto = file.file_descriptor_proto();
        let mut out = String::new();
        match (self.edition, proto.syntax()) {
            (Some(edition), _) => {
                let _ = writeln!(out, "edition = \"{edition}\";");
            }
            (None, "proto3") => out.push_str("syntax = \"proto3\";\n"),
            _ => {}
        }
        if !proto.package().is_empty() {
            let _ = writeln!(out, "package {};", proto.package());
        }

        let mut imports: Vec<String> = Vec::new();
        let mut public: Vec<String> = Vec::new();
        for (i, dep) in proto.dependency.iter().enumerate() {
            let i = i as i32;
            if proto.public_dependency.contains(&i) {
                public.push(format!("import public \"{}\";\n", escape(dep.as_bytes())));
            } else if proto.weak_dependency.contains(&i) {
                imports.push(format!("import weak \"{}\";\n", escape(dep.as_bytes())));
            } else {
                imports.push(format!("import \"{}\";\n", escape(dep.as_bytes())));
            }
        }
        if self.normalize {
            imports.sort();
            imports.dedup();
            public.sort();
            public.dedup();
        }
        if !imports.is_empty() || !public.is_empty() {
            out.push('\n');
            imports.iter().chain(&public).for_each(|l| out.push_str(l));
        }

        let mut options = self.options(&file.options(), &[]);
        if self.edition.is_some() && proto.syntax() != "proto3" {
            options.extend(
                PROTO2_FORM_FEATURES
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
            );
            if self.normalize {
                options.sort();
            }
        }
        if !options.is_empty() {
            out.push('\n');
            for (name, value) in options {
                let _ = writeln!(out, "option {name} = {value};");
            }
        }

        let mut types = String::new();
        for message in file.messages() {
            self.message(&mut types, &message, 0);
        }
        for en in file.enums() {
            self.enumeration(&mut types, &en, 0);
        }
        if !types.is_empty() {
            out.push('\n');
            out.push_str(&types);
        }

        let extends = self.extends(file.extensions().collect(), 0);
        if !extends.is_empty() {
            out.push('\n');
            out.push_str(&extends);
        }

        for service in file.services() {
            out.push('\n');
            let _ = writeln!(out, "service {} {{", service.name());
            for (name, value) in self.options(&service.options(), &[]) {
                let _ = writeln!(out, "  option {name} = {value};");
            }
            for method in service.methods() {
                let p = method.method_descriptor_proto();
                let _ = write!(
                    out,
                    "  rpc {} ({}{}) returns ({}{})",
                    method.name(),
                    if method.is_client_streaming() {
                        "stream "
                    } else {
                        ""
                    },
                    p.input_type(),
                    if method.is_server_streaming() {
                        "stream "
                    } else {
                        ""
                    },
                    p.output_type(),
                );
                let opts = self.options(&method.options(), &[]);
                if opts.is_empty() {
                    out.push_str(";\n");
                } else {
                    out.push_str(" {\n");
                    for (name, value) in opts {
                        let _ = writeln!(out, "    option {name} = {value};");
                    }
                    out.push_str("  }\n");
                }
            }
            out.push_str("}\n");
        }
        out
    }

    fn message(&self, out: &mut String, message: &MessageDescriptor, depth: usize) {
        let ind = "  ".repeat(depth);
        let _ = writeln!(out, "{ind}message {} {{", message.name());
        self.message_body(out, message, depth);
        let _ = writeln!(out, "{ind}}}");
    }

    /// A proto2 group: the field and its message in one block.
    fn group(
        &self,
        out: &mut String,
        ind: &str,
        field: &FieldDescriptor,
        with_label: bool,
        depth: usize,
    ) {
        let Kind::Message(group) = field.kind() else {
            return;
        };
        let p = field.field_descriptor_proto();
        let label = match (with_label, p.label()) {
            (false, _) => "",
            (true, Label::Repeated) => "repeated ",
            (true, Label::Required) => "required ",
            (true, Label::Optional) => "optional ",
        };
        let _ = writeln!(
            out,
            "{ind}{label}group {} = {} {{",
            group.name(),
            p.number()
        );
        self.message_body(out, &group, depth);
        let _ = writeln!(out, "{ind}}}");
    }

    /// One field line, or a group block, at `inner` indentation.
    fn member(
        &self,
        out: &mut String,
        inner: &str,
        field: &FieldDescriptor,
        with_label: bool,
        depth: usize,
    ) {
        if field.is_group() && self.edition.is_none() {
            self.group(out, inner, field, with_label, depth + 1);
        } else {
            let _ = writeln!(out, "{inner}{}", self.field(field, with_label));
        }
    }

    /// The inside of a message whose header is at `depth`.
    fn message_body(&self, out: &mut String, message: &MessageDescriptor, depth: usize) {
        let inner = "  ".repeat(depth + 1);
        let proto = message.descriptor_proto();
        let mut sections: Vec<String> = Vec::new();

        let ranges: Vec<(i32, i32)> = proto
            .reserved_range
            .iter()
            .map(|r| (r.start(), r.end().saturating_sub(1)))
            .collect();
        sections.push(self.reserved(&inner, ranges, &proto.reserved_name, FIELD_MAX));

        let mut opts = String::new();
        for (name, value) in self.options(&message.options(), &["map_entry"]) {
            let _ = writeln!(opts, "{inner}option {name} = {value};");
        }
        sections.push(opts);

        // Declaration order (prost-reflect's `fields()` is by number). A oneof is printed
        // where its first member was declared, so the text compiles back to the same
        // descriptor; normalized output puts plain fields first, then oneofs, as Confluent.
        let declared: Vec<FieldDescriptor> = proto
            .field
            .iter()
            .filter_map(|f| message.get_field(u32::try_from(f.number()).ok()?))
            .collect();
        let real_oneof = |f: &FieldDescriptor| f.containing_oneof().filter(|o| !o.is_synthetic());
        // Nested messages in `nested_type` order; map entries and group messages are
        // printed through their fields, the others as nested messages.
        let nested_types: Vec<MessageDescriptor> = proto
            .nested_type
            .iter()
            .filter_map(|n| {
                message.parent_pool().get_message_by_name(&format!(
                    "{}.{}",
                    message.full_name(),
                    n.name()
                ))
            })
            .collect();
        // Editions have no groups: a delimited field's message is an ordinary nested message.
        let groups = self.edition.is_none();
        let inline: Vec<String> = declared
            .iter()
            .filter(|f| (groups && f.is_group()) || f.is_map())
            .filter_map(|f| match f.kind() {
                Kind::Message(m) => Some(m.full_name().to_owned()),
                _ => None,
            })
            .collect();
        let is_inline =
            |m: &MessageDescriptor| m.is_map_entry() || inline.iter().any(|g| g == m.full_name());
        let mut nested_done = vec![false; nested_types.len()];
        let mut body = String::new();
        if self.normalize {
            let mut fields: Vec<&FieldDescriptor> = declared
                .iter()
                .filter(|f| real_oneof(f).is_none())
                .collect();
            fields.sort_by_key(|f| f.number());
            for field in fields {
                self.member(&mut body, &inner, field, true, depth);
            }
            let mut oneofs: Vec<_> = message.oneofs().filter(|o| !o.is_synthetic()).collect();
            oneofs.retain(|o| o.fields().len() > 0);
            oneofs.sort_by_key(|o| o.fields().map(|f| f.number()).min().unwrap_or(0));
            for oneof in oneofs {
                self.oneof(&mut body, &inner, &oneof, depth);
            }
        } else {
            let mut printed = Vec::new();
            for field in &declared {
                // The message index counts `nested_type` in declaration order, map entries
                // included: a nested message declared before a map or group field is printed
                // before it, so the text compiles back to the same order.
                if let (true, Kind::Message(own)) =
                    (field.is_map() || (groups && field.is_group()), field.kind())
                {
                    if let Some(pos) = nested_types
                        .iter()
                        .position(|n| n.full_name() == own.full_name())
                    {
                        for i in 0..pos {
                            if !nested_done[i] && !is_inline(&nested_types[i]) {
                                nested_done[i] = true;
                                self.message(&mut body, &nested_types[i], depth + 1);
                            }
                        }
                    }
                }
                match real_oneof(field) {
                    None => self.member(&mut body, &inner, field, true, depth),
                    Some(oneof) if !printed.contains(&oneof.name().to_owned()) => {
                        printed.push(oneof.name().to_owned());
                        self.oneof(&mut body, &inner, &oneof, depth);
                    }
                    Some(_) => {}
                }
            }
        }
        sections.push(body);

        let mut ext_ranges = String::new();
        let mut ranges: Vec<(i32, i32)> = proto
            .extension_range
            .iter()
            .map(|r| (r.start(), r.end().saturating_sub(1)))
            .collect();
        if self.normalize {
            ranges.sort_unstable();
        }
        if !ranges.is_empty() {
            let list: Vec<String> = ranges.iter().map(|r| range_text(*r, FIELD_MAX)).collect();
            let _ = writeln!(ext_ranges, "{inner}extensions {};", list.join(", "));
        }
        sections.push(ext_ranges);
        sections.push(self.extends(message.child_extensions().collect(), depth + 1));

        let mut nested = String::new();
        for (i, child) in nested_types.iter().enumerate() {
            if !nested_done[i] && !is_inline(child) {
                self.message(&mut nested, child, depth + 1);
            }
        }
        for en in message.child_enums() {
            self.enumeration(&mut nested, &en, depth + 1);
        }
        sections.push(nested);

        let sections: Vec<String> = sections.into_iter().filter(|s| !s.is_empty()).collect();
        out.push_str(&sections.join("\n"));
    }

    fn oneof(
        &self,
        out: &mut String,
        inner: &str,
        oneof: &prost_reflect::OneofDescriptor,
        depth: usize,
    ) {
        let _ = writeln!(out, "{inner}oneof {} {{", oneof.name());
        for (name, value) in self.options(&oneof.options(), &[]) {
            let _ = writeln!(out, "{inner}  option {name} = {value};");
        }
        let mut members: Vec<FieldDescriptor> = oneof.fields().collect();
        if self.normalize {
            members.sort_by_key(FieldDescriptor::number);
        }
        let member_indent = format!("{inner}  ");
        for field in members {
            self.member(out, &member_indent, &field, false, depth + 1);
        }
        let _ = writeln!(out, "{inner}}}");
    }

    fn reserved(
        &self,
        ind: &str,
        mut ranges: Vec<(i32, i32)>,
        names: &[String],
        max: i32,
    ) -> String {
        let mut out = String::new();
        let mut names: Vec<&String> = names.iter().collect();
        if self.normalize {
            ranges.sort_unstable();
            names.sort();
            for r in ranges {
                let _ = writeln!(out, "{ind}reserved {};", range_text(r, max));
            }
            for n in names {
                let _ = writeln!(out, "{ind}reserved \"{}\";", escape(n.as_bytes()));
            }
            return out;
        }
        if !ranges.is_empty() {
            let list: Vec<String> = ranges.into_iter().map(|r| range_text(r, max)).collect();
            let _ = writeln!(out, "{ind}reserved {};", list.join(", "));
        }
        if !names.is_empty() {
            let list: Vec<String> = names
                .iter()
                .map(|n| format!("\"{}\"", escape(n.as_bytes())))
                .collect();
            let _ = writeln!(out, "{ind}reserved {};", list.join(", "));
        }
        out
    }

    fn enumeration(&self, out: &mut String, en: &EnumDescriptor, depth: usize) {
        let ind = "  ".repeat(depth);
        let inner = "  ".repeat(depth + 1);
        let proto = en.enum_descriptor_proto();
        let _ = writeln!(out, "{ind}enum {} {{", en.name());
        let ranges: Vec<(i32, i32)> = proto
            .reserved_range
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect();
        let mut sections = vec![self.reserved(&inner, ranges, &proto.reserved_name, ENUM_MAX)];
        let mut opts = String::new();
        for (name, value) in self.options(&en.options(), &[]) {
            let _ = writeln!(opts, "{inner}option {name} = {value};");
        }
        sections.push(opts);
        // Declaration order (prost-reflect's `values()` is by number).
        let mut values: Vec<_> = proto
            .value
            .iter()
            .filter_map(|v| en.get_value_by_name(v.name()))
            .collect();
        if self.normalize {
            values.sort_by(|a, b| a.number().cmp(&b.number()).then(a.name().cmp(b.name())));
        }
        let mut body = String::new();
        for value in values {
            let opts = self.options(&value.options(), &[]);
            let _ = write!(body, "{inner}{} = {}", value.name(), value.number());
            if !opts.is_empty() {
                let list: Vec<String> = opts
                    .into_iter()
                    .map(|(n, v)| format!("{n} = {v}"))
                    .collect();
                let _ = write!(body, " [{}]", list.join(", "));
            }
            body.push_str(";\n");
        }
        sections.push(body);
        let sections: Vec<String> = sections.into_iter().filter(|s| !s.is_empty()).collect();
        out.push_str(&sections.join("\n"));
        let _ = writeln!(out, "{ind}}}");
    }

    fn extends(&self, extensions: Vec<prost_reflect::ExtensionDescriptor>, depth: usize) -> String {
        let ind = "  ".repeat(depth);
        let mut out = String::new();
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for ext in extensions {
            let p = ext.field_descriptor_proto();
            let line = self.field_line(
                p,
                ext.parent_file().file_descriptor_proto().syntax() == "proto3",
                None,
                true,
                &ext.options(),
                // Extensions have no JSON name of their own (prost-reflect reports `[full.name]`).
                &default_json_name(p.name()),
            );
            let extendee = p.extendee().to_owned();
            match groups.iter_mut().find(|(e, _)| *e == extendee) {
                Some((_, lines)) => lines.push(line),
                None => groups.push((extendee, vec![line])),
            }
        }
        if self.normalize {
            groups.sort_by(|a, b| a.0.cmp(&b.0));
        }
        for (extendee, lines) in groups {
            let _ = writeln!(out, "{ind}extend {extendee} {{");
            for line in lines {
                let _ = writeln!(out, "{ind}  {line}");
            }
            let _ = writeln!(out, "{ind}}}");
        }
        out
    }

    fn field(&self, field: &FieldDescriptor, with_label: bool) -> String {
        let p = field.field_descriptor_proto();
        let proto3 = field.parent_file().file_descriptor_proto().syntax() != "proto2"
            && !field
                .parent_file()
                .file_descriptor_proto()
                .syntax()
                .is_empty();
        let map = field.is_map().then(|| match field.kind() {
            Kind::Message(entry) => Some((
                type_text(entry.map_entry_key_field().field_descriptor_proto()),
                type_text(entry.map_entry_value_field().field_descriptor_proto()),
            )),
            _ => None,
        });
        self.field_line(
            p,
            proto3,
            map.flatten(),
            with_label,
            &field.options(),
            field.json_name(),
        )
    }

    fn field_line(
        &self,
        p: &prost_types::FieldDescriptorProto,
        proto3: bool,
        map: Option<(String, String)>,
        with_label: bool,
        options: &DynamicMessage,
        json_name: &str,
    ) -> String {
        let mut line = String::new();
        let ty = match &map {
            Some((k, v)) => format!("map<{k}, {v}>"),
            None => type_text(p),
        };
        if map.is_none() && with_label {
            let label = match p.label() {
                Label::Repeated => "repeated ",
                // Editions have only `repeated`: presence is a feature.
                _ if self.edition.is_some() => "",
                Label::Required => "required ",
                Label::Optional if !proto3 || p.proto3_optional() => "optional ",
                Label::Optional => "",
            };
            line.push_str(label);
        }
        let _ = write!(line, "{ty} {} = {}", p.name(), p.number());
        let mut opts: Vec<(String, String)> = Vec::new();
        if let Some(default) = &p.default_value {
            let v = match p.r#type() {
                Type::String => format!("\"{}\"", escape(default.as_bytes())),
                Type::Bytes => format!("\"{default}\""),
                _ => default.clone(),
            };
            opts.push(("default".into(), v));
        }
        if p.json_name.is_some() && json_name != default_json_name(p.name()) {
            opts.push((
                "json_name".into(),
                format!("\"{}\"", escape(json_name.as_bytes())),
            ));
        }
        if self.edition.is_some() {
            let is_map = map.is_some();
            opts.extend(
                field_features(p, proto3, is_map)
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v.to_owned())),
            );
            // `packed` is how the proto2 or proto3 form says what the feature says.
            opts.extend(self.options(options, &["packed"]));
        } else {
            opts.extend(self.options(options, &[]));
        }
        if self.normalize {
            opts.sort();
        }
        if !opts.is_empty() {
            let list: Vec<String> = opts
                .into_iter()
                .map(|(n, v)| format!("{n} = {v}"))
                .collect();
            let _ = write!(line, " [{}]", list.join(", "));
        }
        line.push(';');
        line
    }

    /// `(name, value)` of every option set in `options`, custom ones as `(full.name)`.
    fn options(&self, options: &DynamicMessage, skip: &[&str]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (field, value) in options.fields() {
            if skip.contains(&field.name()) || field.name() == "uninterpreted_option" {
                continue;
            }
            push_option(&mut out, field.name().to_owned(), value, &field.kind());
        }
        for (ext, value) in options.extensions() {
            push_option(
                &mut out,
                format!("({})", ext.full_name()),
                value,
                &ext.kind(),
            );
        }
        if self.normalize {
            out.sort();
        }
        out
    }
}

/// The features of one field of an editions file that differ from the edition's defaults,
/// read from the field's proto2 or proto3 form (`proto3` says which).
fn field_features(
    p: &prost_types::FieldDescriptorProto,
    proto3: bool,
    is_map: bool,
) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let repeated = p.label() == Label::Repeated;
    let message = matches!(p.r#type(), Type::Message | Type::Group);
    let in_oneof = p.oneof_index.is_some() && !p.proto3_optional();
    if p.label() == Label::Required {
        out.push(("features.field_presence", "LEGACY_REQUIRED"));
    } else if proto3
        && !repeated
        && !message
        && !in_oneof
        && p.extendee.is_none()
        && !p.proto3_optional()
    {
        out.push(("features.field_presence", "IMPLICIT"));
    }
    if p.r#type() == Type::Group {
        out.push(("features.message_encoding", "DELIMITED"));
    }
    let packable = !matches!(
        p.r#type(),
        Type::String | Type::Bytes | Type::Message | Type::Group
    );
    if repeated && packable && !is_map {
        let packed = p.options.as_ref().and_then(|o| o.packed);
        let expanded = if proto3 {
            packed == Some(false)
        } else {
            packed != Some(true)
        };
        if expanded {
            out.push(("features.repeated_field_encoding", "EXPANDED"));
        }
    }
    out
}

fn push_option(out: &mut Vec<(String, String)>, name: String, value: &Value, kind: &Kind) {
    match value {
        Value::List(items) => {
            for item in items {
                out.push((name.clone(), value_text(item, kind)));
            }
        }
        v => out.push((name, value_text(v, kind))),
    }
}

fn value_text(value: &Value, kind: &Kind) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::F32(n) => float_text(f64::from(*n)),
        Value::F64(n) => float_text(*n),
        Value::String(s) => format!("\"{}\"", escape(s.as_bytes())),
        Value::Bytes(b) => format!("\"{}\"", escape(b)),
        Value::EnumNumber(n) => match kind {
            Kind::Enum(en) => en
                .get_value(*n)
                .map(|v| v.name().to_owned())
                .unwrap_or_else(|| n.to_string()),
            _ => n.to_string(),
        },
        Value::Message(m) => message_text(m),
        Value::List(items) => {
            let list: Vec<String> = items.iter().map(|v| value_text(v, kind)).collect();
            format!("[{}]", list.join(", "))
        }
        Value::Map(map) => {
            let (key_kind, value_kind) = match kind {
                Kind::Message(entry) => (
                    entry.map_entry_key_field().kind(),
                    entry.map_entry_value_field().kind(),
                ),
                _ => (Kind::String, Kind::String),
            };
            let mut entries: Vec<(&MapKey, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let list: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{{key: {}, value: {}}}",
                        value_text(&map_key_value(k), &key_kind),
                        value_text(v, &value_kind)
                    )
                })
                .collect();
            format!("[{}]", list.join(", "))
        }
    }
}

fn map_key_value(key: &MapKey) -> Value {
    match key {
        MapKey::Bool(b) => Value::Bool(*b),
        MapKey::I32(n) => Value::I32(*n),
        MapKey::I64(n) => Value::I64(*n),
        MapKey::U32(n) => Value::U32(*n),
        MapKey::U64(n) => Value::U64(*n),
        MapKey::String(s) => Value::String(s.clone()),
    }
}

fn message_text(message: &DynamicMessage) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (field, value) in message.fields() {
        parts.push(format!(
            "{}: {}",
            field.name(),
            value_text(value, &field.kind())
        ));
    }
    for (ext, value) in message.extensions() {
        parts.push(format!(
            "[{}]: {}",
            ext.full_name(),
            value_text(value, &ext.kind())
        ));
    }
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

fn float_text(n: f64) -> String {
    if n.is_nan() {
        "nan".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{n:?}")
    }
}

fn range_text((start, end_inclusive): (i32, i32), max: i32) -> String {
    if end_inclusive >= max {
        format!("{start} to max")
    } else if start == end_inclusive {
        start.to_string()
    } else {
        format!("{start} to {end_inclusive}")
    }
}

fn type_text(p: &prost_types::FieldDescriptorProto) -> String {
    match p.r#type() {
        Type::Double => "double".into(),
        Type::Float => "float".into(),
        Type::Int64 => "int64".into(),
        Type::Uint64 => "uint64".into(),
        Type::Int32 => "int32".into(),
        Type::Fixed64 => "fixed64".into(),
        Type::Fixed32 => "fixed32".into(),
        Type::Bool => "bool".into(),
        Type::String => "string".into(),
        Type::Bytes => "bytes".into(),
        Type::Uint32 => "uint32".into(),
        Type::Sfixed32 => "sfixed32".into(),
        Type::Sfixed64 => "sfixed64".into(),
        Type::Sint32 => "sint32".into(),
        Type::Sint64 => "sint64".into(),
        Type::Group | Type::Message | Type::Enum => p.type_name().to_owned(),
    }
}

/// protoc's default JSON name: underscores removed, the following letter upper-cased.
pub fn default_json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// C-style escaping as protoc uses in text: quotes, backslashes, control and non-ASCII
/// bytes as octal.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_follow_protoc() {
        assert_eq!(default_json_name("treasure_type_id"), "treasureTypeId");
        assert_eq!(default_json_name("id"), "id");
    }

    #[test]
    fn ranges_print_like_proto_source() {
        assert_eq!(range_text((5, 5), FIELD_MAX), "5");
        assert_eq!(range_text((9, 11), FIELD_MAX), "9 to 11");
        assert_eq!(range_text((100, FIELD_MAX), FIELD_MAX), "100 to max");
        assert_eq!(range_text((100, FIELD_MAX), ENUM_MAX), "100 to 536870911");
        assert_eq!(range_text((100, i32::MAX), ENUM_MAX), "100 to max");
    }

    #[test]
    fn escaping_keeps_ascii_and_octals_the_rest() {
        assert_eq!(escape(b"a\"b\\c\n"), "a\\\"b\\\\c\\n");
        assert_eq!(escape(&[0xff]), "\\377");
    }
}
