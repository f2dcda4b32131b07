//! Resolves the features of an editions file, checks them as protoc does, and rewrites the file
//! as the proto2 or proto3 file with exactly the same wire and JSON semantics.

use std::collections::{HashMap, HashSet};

use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage, Value};
use prost_types::{
    field_descriptor_proto::{Label, Type},
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FieldOptions, FileDescriptorProto,
    OneofDescriptorProto, UninterpretedOption,
};

use super::features::{
    Feature, FeatureSet, CLOSED, DELIMITED, EXPLICIT, IMPLICIT, LEGACY_BEST_EFFORT,
    LEGACY_REQUIRED, NONE, OPEN, PACKED, VERIFY,
};

/// Where the explicitly set features of an editions file come from.
pub(crate) enum Explicit<'a> {
    /// A parsed source file: `features.*` uninterpreted options, removed while read.
    Source,
    /// A decoded descriptor: the `features` fields of its options.
    Descriptor(&'a DynamicMessage),
}

/// A check that failed: the message and the descriptor path of the element it is about.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) path: Vec<i32>,
}

fn fail<T>(path: &[i32], message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        message: message.into(),
        path: path.to_vec(),
    })
}

/// What a named type turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message,
    Enum { closed: bool },
}

/// The first element that only one of proto2 and proto3 can express.
#[derive(Debug)]
struct Need {
    what: String,
    path: Vec<i32>,
}

/// One field to rewrite once the target syntax is known.
#[derive(Debug)]
struct FieldPlan {
    path: Vec<i32>,
    explicit_scalar: bool,
    required: bool,
    delimited: bool,
    packed: Option<bool>,
}

struct Lowering<'a> {
    explicit: HashMap<Vec<i32>, FeatureSet>,
    kinds: HashMap<String, Kind>,
    scopes: HashSet<String>,
    pool: &'a DescriptorPool,
    package: String,
    proto2: Option<Need>,
    proto3: Option<Need>,
    fields: Vec<FieldPlan>,
}

/// Lowers `file`, an editions file of `edition`, to proto2 or proto3.
///
/// `pool` holds the files it imports (already lowered). The result has no `features` options
/// left; every other option, name, number and source location is kept.
pub(crate) fn lower(
    mut file: FileDescriptorProto,
    edition: i32,
    explicit: Explicit<'_>,
    pool: &DescriptorPool,
) -> Result<FileDescriptorProto, Failure> {
    let Some(defaults) = FeatureSet::defaults(edition) else {
        return fail(&[], format!("edition {edition} is not supported"));
    };
    let mut table = HashMap::new();
    collect_explicit(&mut file, &explicit, &mut table)?;

    let package = file.package.clone().unwrap_or_default();
    let mut lowering = Lowering {
        explicit: table,
        kinds: HashMap::new(),
        scopes: HashSet::new(),
        pool,
        package: package.clone(),
        proto2: None,
        proto3: None,
        fields: Vec::new(),
    };
    lowering.index_names(&file, defaults)?;

    let file_features = lowering.own(&[]).over(defaults);
    lowering.json(&[], file_features);
    for (i, message) in file.message_type.iter().enumerate() {
        lowering.message(message, &package, &[4, i as i32], file_features)?;
    }
    for (i, enm) in file.enum_type.iter().enumerate() {
        lowering.enumeration(enm, &[5, i as i32], file_features)?;
    }
    for (i, ext) in file.extension.iter().enumerate() {
        lowering.field(ext, &package, &[7, i as i32], file_features, true, false)?;
    }

    let proto3 = match (&lowering.proto2, &lowering.proto3) {
        (Some(two), Some(three)) => {
            return fail(
                &three.path,
                format!(
                    "this editions file has no proto2 or proto3 equivalent: {} needs proto3, but {} needs proto2",
                    three.what, two.what
                ),
            )
        }
        (Some(_), None) => false,
        (None, _) => true,
    };

    for plan in std::mem::take(&mut lowering.fields) {
        apply(&mut file, &plan, proto3);
    }
    // protoc leaves `syntax` unset for proto2.
    file.syntax = proto3.then(|| "proto3".to_owned());
    Ok(file)
}

impl Lowering<'_> {
    fn own(&self, path: &[i32]) -> FeatureSet {
        self.explicit.get(path).copied().unwrap_or_default()
    }

    fn need(&mut self, proto3: bool, what: String, path: &[i32]) {
        let slot = if proto3 {
            &mut self.proto3
        } else {
            &mut self.proto2
        };
        if slot.is_none() {
            *slot = Some(Need {
                what,
                path: path.to_vec(),
            });
        }
    }

    /// JSON format decides only whether protoc refuses JSON name conflicts at compile time
    /// (ALLOW) or tolerates them (LEGACY_BEST_EFFORT); the JSON mapping itself is the same.
    /// LEGACY_BEST_EFFORT is proto2's behaviour, so such a scope asks for the proto2 view;
    /// ALLOW asks for nothing.
    fn json(&mut self, path: &[i32], resolved: FeatureSet) {
        if resolved.json_format == Some(LEGACY_BEST_EFFORT) {
            let what = Feature::of(&resolved, "json_format").map(|f| f.to_string());
            self.need(false, what.unwrap_or_default(), path);
        }
    }

    /// Records every message and enum this file declares, with each enum's openness.
    fn index_names(
        &mut self,
        file: &FileDescriptorProto,
        defaults: FeatureSet,
    ) -> Result<(), Failure> {
        let mut scope = String::new();
        for part in self.package.split('.').filter(|p| !p.is_empty()) {
            if !scope.is_empty() {
                scope.push('.');
            }
            scope.push_str(part);
            self.scopes.insert(scope.clone());
        }
        let file_features = self.own(&[]).over(defaults);
        let package = self.package.clone();
        for (i, message) in file.message_type.iter().enumerate() {
            self.index_message(message, &package, &[4, i as i32], file_features);
        }
        for (i, enm) in file.enum_type.iter().enumerate() {
            self.index_enum(enm, &package, &[5, i as i32], file_features);
        }
        Ok(())
    }

    fn index_message(
        &mut self,
        message: &DescriptorProto,
        scope: &str,
        path: &[i32],
        parent: FeatureSet,
    ) {
        let name = join(scope, message.name());
        let features = self.own(path).over(parent);
        self.kinds.insert(name.clone(), Kind::Message);
        self.scopes.insert(name.clone());
        for (i, nested) in message.nested_type.iter().enumerate() {
            self.index_message(nested, &name, &child(path, 3, i), features);
        }
        for (i, enm) in message.enum_type.iter().enumerate() {
            self.index_enum(enm, &name, &child(path, 4, i), features);
        }
    }

    fn index_enum(
        &mut self,
        enm: &EnumDescriptorProto,
        scope: &str,
        path: &[i32],
        parent: FeatureSet,
    ) {
        let name = join(scope, enm.name());
        let closed = self.own(path).over(parent).enum_type == Some(CLOSED);
        self.kinds.insert(name.clone(), Kind::Enum { closed });
        self.scopes.insert(name);
    }

    /// Resolves a type name as protoc does: innermost scope outwards, by its first component.
    fn resolve(&self, name: &str, scope: &str) -> Option<Kind> {
        let lookup = |full: &str| -> Option<Kind> {
            if let Some(kind) = self.kinds.get(full) {
                return Some(*kind);
            }
            if self.pool.get_message_by_name(full).is_some() {
                return Some(Kind::Message);
            }
            self.pool.get_enum_by_name(full).map(|e| Kind::Enum {
                closed: e.parent_file().syntax() == prost_reflect::Syntax::Proto2,
            })
        };
        if let Some(full) = name.strip_prefix('.') {
            return lookup(full);
        }
        let first = name.split('.').next().unwrap_or(name);
        let exists = |full: &str| {
            self.scopes.contains(full)
                || lookup(full).is_some()
                || self.pool.files().any(|f| {
                    f.package_name() == full || f.package_name().starts_with(&format!("{full}."))
                })
        };
        let mut scope = scope.to_owned();
        loop {
            let candidate = join(&scope, first);
            if exists(&candidate) {
                let full = join(&scope, name);
                if let Some(kind) = lookup(&full) {
                    return Some(kind);
                }
            }
            if scope.is_empty() {
                return None;
            }
            scope = scope
                .rfind('.')
                .map_or_else(String::new, |i| scope[..i].to_owned());
        }
    }

    fn message(
        &mut self,
        message: &DescriptorProto,
        scope: &str,
        path: &[i32],
        parent: FeatureSet,
    ) -> Result<(), Failure> {
        let name = join(scope, message.name());
        let features = self.own(path).over(parent);
        self.json(path, features);
        if !message.extension_range.is_empty() {
            self.need(
                false,
                format!("the extension range of message '{name}'"),
                &child(path, 5, 0),
            );
        }
        let is_map_entry = message
            .options
            .as_ref()
            .is_some_and(|o| o.map_entry == Some(true));
        let oneof_features: Vec<FeatureSet> = (0..message.oneof_decl.len())
            .map(|i| self.own(&child(path, 8, i)).over(features))
            .collect();
        for (i, oneof) in message.oneof_decl.iter().enumerate() {
            check_oneof(oneof, &self.own(&child(path, 8, i)), &child(path, 8, i))?;
        }
        for (i, field) in message.field.iter().enumerate() {
            let in_oneof = field.oneof_index.is_some();
            let parent = field
                .oneof_index
                .and_then(|o| oneof_features.get(o as usize).copied())
                .unwrap_or(features);
            let field_path = child(path, 2, i);
            if is_map_entry {
                // Map entry fields have no presence of their own in any syntax.
                self.check_map_entry_field(field, &field_path)?;
                continue;
            }
            self.field(field, &name, &field_path, parent, false, in_oneof)?;
        }
        for (i, ext) in message.extension.iter().enumerate() {
            self.field(ext, &name, &child(path, 6, i), features, true, false)?;
        }
        for (i, nested) in message.nested_type.iter().enumerate() {
            self.message(nested, &name, &child(path, 3, i), features)?;
        }
        for (i, enm) in message.enum_type.iter().enumerate() {
            self.enumeration(enm, &child(path, 4, i), features)?;
        }
        Ok(())
    }

    fn enumeration(
        &mut self,
        enm: &EnumDescriptorProto,
        path: &[i32],
        parent: FeatureSet,
    ) -> Result<(), Failure> {
        let features = self.own(path).over(parent);
        self.json(path, features);
        let what =
            Feature::of(&features, "enum_type").map(|f| format!("{f} on enum '{}'", enm.name()));
        match features.enum_type {
            Some(OPEN) => {
                if enm.value.first().is_some_and(|v| v.number() != 0) {
                    return fail(
                        &child(path, 2, 0),
                        format!("the first value of open enum '{}' must be zero", enm.name()),
                    );
                }
                self.need(true, what.unwrap_or_default(), path)
            }
            Some(CLOSED) => self.need(false, what.unwrap_or_default(), path),
            _ => {}
        }
        Ok(())
    }

    fn field(
        &mut self,
        field: &FieldDescriptorProto,
        scope: &str,
        path: &[i32],
        parent: FeatureSet,
        extension: bool,
        in_oneof: bool,
    ) -> Result<(), Failure> {
        let own = self.own(path);
        let resolved = own.over(parent);
        let name = field.name();
        let repeated = field.label() == Label::Repeated;
        let kind = match field.r#type {
            Some(t) if t == Type::Message as i32 || t == Type::Group as i32 => Some(Kind::Message),
            Some(t) if t == Type::Enum as i32 => match field.type_name.as_deref() {
                Some(type_name) => self.resolve(type_name, scope),
                None => None,
            },
            Some(_) => None,
            None => match field.type_name.as_deref() {
                Some(type_name) => Some(self.resolve(type_name, scope).ok_or_else(|| Failure {
                    message: format!("name '{type_name}' is not defined"),
                    path: child_of(path, 6),
                })?),
                None => None,
            },
        };
        let is_message = kind == Some(Kind::Message);
        let is_string = field.r#type == Some(Type::String as i32);
        let is_map = is_message && repeated && self.is_map_entry(field, scope);
        let packable = !is_message && !is_string && field.r#type != Some(Type::Bytes as i32);
        let label = if repeated { "repeated" } else { "singular" };

        if field
            .options
            .as_ref()
            .is_some_and(|o| o.packed.is_some() || has_option(&o.uninterpreted_option, "packed"))
        {
            return fail(
                path,
                "field option 'packed' is not allowed in editions; use 'features.repeated_field_encoding'",
            );
        }
        if let Some(presence) = own.field_presence {
            if repeated {
                return fail(
                    path,
                    format!("repeated field '{name}' can't specify field presence"),
                );
            }
            if in_oneof {
                return fail(
                    path,
                    format!("oneof field '{name}' can't specify field presence"),
                );
            }
            if extension {
                return fail(
                    path,
                    format!("extension '{name}' can't specify field presence"),
                );
            }
            if is_message && presence == IMPLICIT {
                return fail(
                    path,
                    format!("message field '{name}' can't specify implicit presence"),
                );
            }
        }
        if own.repeated_field_encoding.is_some() && !(repeated && packable) {
            return fail(
                path,
                format!("only repeated primitive fields can specify repeated field encoding, and '{name}' is a {label} field of another type"),
            );
        }
        if own.utf8_validation.is_some() && !is_string {
            return fail(
                path,
                format!("only string fields can specify utf8 validation, and '{name}' is not one"),
            );
        }
        if own.message_encoding.is_some() && (!is_message || is_map) {
            return fail(
                path,
                format!(
                    "only message fields can specify message encoding, and '{name}' is not one"
                ),
            );
        }

        // The presence this field actually has on the wire. A message field is explicit
        // unless it is required (a proto2 `required` message field migrated to an edition).
        let presence = if repeated {
            None
        } else if in_oneof
            || extension
            || (is_message && resolved.field_presence != Some(LEGACY_REQUIRED))
        {
            Some(EXPLICIT)
        } else {
            resolved.field_presence
        };
        let what = |feature: &str| {
            Feature::of(&resolved, feature)
                .map_or_else(String::new, |f| format!("{f} on field '{name}'"))
        };
        if presence == Some(IMPLICIT) {
            if field.default_value.is_some() {
                return fail(
                    path,
                    format!("implicit presence field '{name}' can't specify a default"),
                );
            }
            if matches!(kind, Some(Kind::Enum { closed: true })) {
                return fail(
                    path,
                    format!("implicit presence enum field '{name}' must use an open enum"),
                );
            }
            self.need(true, what("field_presence"), path);
        }
        if presence == Some(LEGACY_REQUIRED) {
            self.need(false, what("field_presence"), path);
        }
        if field.default_value.is_some() {
            self.need(false, format!("the default value of field '{name}'"), path);
        }
        if is_string {
            match resolved.utf8_validation {
                Some(VERIFY) => self.need(true, what("utf8_validation"), path),
                Some(NONE) => self.need(false, what("utf8_validation"), path),
                _ => {}
            }
        }
        let delimited = is_message && !is_map && resolved.message_encoding == Some(DELIMITED);
        if delimited {
            self.need(false, what("message_encoding"), path);
        }
        if extension {
            let extendee = self.full_name_of(field.extendee(), scope);
            let is_option =
                extendee.starts_with("google.protobuf.") && extendee.ends_with("Options");
            if !is_option {
                self.need(false, format!("extension '{name}' of '{extendee}'"), path);
            }
        }
        self.fields.push(FieldPlan {
            path: path.to_vec(),
            explicit_scalar: presence == Some(EXPLICIT) && !is_message && !in_oneof && !extension,
            required: presence == Some(LEGACY_REQUIRED),
            delimited,
            packed: (repeated && packable)
                .then(|| resolved.repeated_field_encoding == Some(PACKED)),
        });
        Ok(())
    }

    /// The key and value fields of a map entry accept no features that change their encoding.
    fn check_map_entry_field(
        &self,
        field: &FieldDescriptorProto,
        path: &[i32],
    ) -> Result<(), Failure> {
        let own = self.own(path);
        if own.field_presence.is_some() || own.message_encoding.is_some() {
            return fail(
                path,
                format!(
                    "map entry field '{}' can't specify field presence or message encoding",
                    field.name()
                ),
            );
        }
        Ok(())
    }

    fn full_name_of(&self, name: &str, scope: &str) -> String {
        if let Some(full) = name.strip_prefix('.') {
            return full.to_owned();
        }
        let mut scope = scope.to_owned();
        loop {
            let full = join(&scope, name);
            if self.kinds.contains_key(&full) || self.pool.get_message_by_name(&full).is_some() {
                return full;
            }
            if scope.is_empty() {
                return name.to_owned();
            }
            scope = scope
                .rfind('.')
                .map_or_else(String::new, |i| scope[..i].to_owned());
        }
    }

    /// Whether `field` names the map entry message the parser generated for it.
    fn is_map_entry(&self, field: &FieldDescriptorProto, scope: &str) -> bool {
        let full = self.full_name_of(field.type_name(), scope);
        self.pool
            .get_message_by_name(&full)
            .map(|m| m.is_map_entry())
            .unwrap_or_else(|| {
                let entry = format!("{}Entry", crate_case(field.name()));
                full == join(scope, &entry)
            })
    }
}

/// `map<K, V> foo_bar` gets the entry message `FooBarEntry`.
fn crate_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
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

fn check_oneof(
    oneof: &OneofDescriptorProto,
    own: &FeatureSet,
    path: &[i32],
) -> Result<(), Failure> {
    if own.field_presence.is_some() {
        return fail(
            path,
            format!("oneof '{}' can't specify field presence", oneof.name()),
        );
    }
    Ok(())
}

/// Rewrites one field for the chosen syntax.
fn apply(file: &mut FileDescriptorProto, plan: &FieldPlan, proto3: bool) {
    let Some((field, oneofs)) = field_at(file, &plan.path) else {
        return;
    };
    if proto3 {
        if plan.explicit_scalar {
            field.proto3_optional = Some(true);
            if let Some(oneofs) = oneofs {
                let mut name = format!("_{}", field.name());
                while oneofs.iter().any(|o| o.name() == name) {
                    name.insert(0, 'X');
                }
                field.oneof_index = Some(oneofs.len() as i32);
                oneofs.push(OneofDescriptorProto {
                    name: Some(name),
                    options: None,
                });
            }
        }
        if plan.packed == Some(false) {
            field
                .options
                .get_or_insert_with(FieldOptions::default)
                .packed = Some(false);
        }
    } else {
        if plan.required {
            field.set_label(Label::Required);
        }
        if plan.delimited {
            field.set_type(Type::Group);
        }
        if plan.packed == Some(true) {
            field
                .options
                .get_or_insert_with(FieldOptions::default)
                .packed = Some(true);
        }
    }
}

/// The field at a descriptor path, with its message's oneofs (none for file-level extensions).
fn field_at<'f>(
    file: &'f mut FileDescriptorProto,
    path: &[i32],
) -> Option<(
    &'f mut FieldDescriptorProto,
    Option<&'f mut Vec<OneofDescriptorProto>>,
)> {
    match path {
        [7, i] => file.extension.get_mut(*i as usize).map(|f| (f, None)),
        [4, i, rest @ ..] => {
            let mut message = file.message_type.get_mut(*i as usize)?;
            let mut rest = rest;
            while let [3, j, tail @ ..] = rest {
                message = message.nested_type.get_mut(*j as usize)?;
                rest = tail;
            }
            match rest {
                [2, k] => {
                    let DescriptorProto {
                        field, oneof_decl, ..
                    } = message;
                    field.get_mut(*k as usize).map(|f| (f, Some(oneof_decl)))
                }
                [6, k] => message.extension.get_mut(*k as usize).map(|f| (f, None)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn has_option(options: &[UninterpretedOption], name: &str) -> bool {
    options
        .iter()
        .any(|o| o.name.len() == 1 && !o.name[0].is_extension && o.name[0].name_part == name)
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

fn child(path: &[i32], tag: i32, index: usize) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend([tag, index as i32]);
    p
}

fn child_of(path: &[i32], tag: i32) -> Vec<i32> {
    let mut p = path.to_vec();
    p.push(tag);
    p
}

/// Called with each element's path, its options' field number, and its uninterpreted options.
type Visit<'v> =
    dyn FnMut(Vec<i32>, i32, Option<&mut Vec<UninterpretedOption>>) -> Result<(), Failure> + 'v;

/// Fills `table` with the features each element sets itself, keyed by descriptor path, and
/// removes `features` options from a source file.
fn collect_explicit(
    file: &mut FileDescriptorProto,
    explicit: &Explicit<'_>,
    table: &mut HashMap<Vec<i32>, FeatureSet>,
) -> Result<(), Failure> {
    let mut visit = |path: Vec<i32>,
                     tag: i32,
                     options: Option<&mut Vec<UninterpretedOption>>|
     -> Result<(), Failure> {
        let set = match explicit {
            Explicit::Source => match options {
                Some(options) => {
                    FeatureSet::take_uninterpreted(options).map_err(|(i, message)| {
                        let mut path = path.clone();
                        path.extend([tag, 999, i as i32]);
                        Failure { message, path }
                    })?
                }
                None => FeatureSet::default(),
            },
            Explicit::Descriptor(message) => descriptor_features(message, &path),
        };
        if !set.is_empty() {
            table.insert(path, set);
        }
        Ok(())
    };
    macro_rules! opts {
        ($options:expr) => {{
            let options = &mut $options;
            let result = options.as_mut().map(|o| &mut o.uninterpreted_option);
            result
        }};
    }
    macro_rules! tidy {
        ($options:expr) => {
            if $options.as_ref().is_some_and(|o| *o == Default::default()) {
                $options = None;
            }
        };
    }

    visit(vec![], 8, opts!(file.options))?;
    tidy!(file.options);
    fn message_walk(
        message: &mut DescriptorProto,
        path: Vec<i32>,
        visit: &mut Visit<'_>,
    ) -> Result<(), Failure> {
        visit(
            path.clone(),
            7,
            message
                .options
                .as_mut()
                .map(|o| &mut o.uninterpreted_option),
        )?;
        if message
            .options
            .as_ref()
            .is_some_and(|o| *o == Default::default())
        {
            message.options = None;
        }
        for (i, field) in message.field.iter_mut().enumerate() {
            field_walk(field, child(&path, 2, i), visit)?;
        }
        for (i, field) in message.extension.iter_mut().enumerate() {
            field_walk(field, child(&path, 6, i), visit)?;
        }
        for (i, oneof) in message.oneof_decl.iter_mut().enumerate() {
            visit(
                child(&path, 8, i),
                2,
                oneof.options.as_mut().map(|o| &mut o.uninterpreted_option),
            )?;
            if oneof
                .options
                .as_ref()
                .is_some_and(|o| *o == Default::default())
            {
                oneof.options = None;
            }
        }
        for (i, nested) in message.nested_type.iter_mut().enumerate() {
            message_walk(nested, child(&path, 3, i), visit)?;
        }
        for (i, enm) in message.enum_type.iter_mut().enumerate() {
            enum_walk(enm, child(&path, 4, i), visit)?;
        }
        for (i, range) in message.extension_range.iter_mut().enumerate() {
            visit(
                child(&path, 5, i),
                3,
                range.options.as_mut().map(|o| &mut o.uninterpreted_option),
            )?;
            if range
                .options
                .as_ref()
                .is_some_and(|o| *o == Default::default())
            {
                range.options = None;
            }
        }
        Ok(())
    }
    fn field_walk(
        field: &mut FieldDescriptorProto,
        path: Vec<i32>,
        visit: &mut Visit<'_>,
    ) -> Result<(), Failure> {
        visit(
            path,
            8,
            field.options.as_mut().map(|o| &mut o.uninterpreted_option),
        )?;
        if field
            .options
            .as_ref()
            .is_some_and(|o| *o == Default::default())
        {
            field.options = None;
        }
        Ok(())
    }
    fn enum_walk(
        enm: &mut EnumDescriptorProto,
        path: Vec<i32>,
        visit: &mut Visit<'_>,
    ) -> Result<(), Failure> {
        visit(
            path.clone(),
            3,
            enm.options.as_mut().map(|o| &mut o.uninterpreted_option),
        )?;
        if enm
            .options
            .as_ref()
            .is_some_and(|o| *o == Default::default())
        {
            enm.options = None;
        }
        for (i, value) in enm.value.iter_mut().enumerate() {
            visit(
                child(&path, 2, i),
                3,
                value.options.as_mut().map(|o| &mut o.uninterpreted_option),
            )?;
            if value
                .options
                .as_ref()
                .is_some_and(|o| *o == Default::default())
            {
                value.options = None;
            }
        }
        Ok(())
    }
    for (i, message) in file.message_type.iter_mut().enumerate() {
        message_walk(message, vec![4, i as i32], &mut visit)?;
    }
    for (i, enm) in file.enum_type.iter_mut().enumerate() {
        enum_walk(enm, vec![5, i as i32], &mut visit)?;
    }
    for (i, field) in file.extension.iter_mut().enumerate() {
        field_walk(field, vec![7, i as i32], &mut visit)?;
    }
    for (i, service) in file.service.iter_mut().enumerate() {
        visit(vec![6, i as i32], 3, opts!(service.options))?;
        tidy!(service.options);
        for (j, method) in service.method.iter_mut().enumerate() {
            visit(vec![6, i as i32, 2, j as i32], 4, opts!(method.options))?;
            tidy!(method.options);
        }
    }
    Ok(())
}

/// The features set on the element at `path` of a decoded `FileDescriptorProto`.
fn descriptor_features(file: &DynamicMessage, path: &[i32]) -> FeatureSet {
    let mut message = file.clone();
    for pair in path.chunks(2) {
        let [tag, index] = pair else {
            return FeatureSet::default();
        };
        let Some(field) = message.descriptor().get_field(*tag as u32) else {
            return FeatureSet::default();
        };
        let next = match &*message.get_field(&field) {
            Value::List(items) => match items.get(*index as usize) {
                Some(Value::Message(m)) => m.clone(),
                _ => return FeatureSet::default(),
            },
            _ => return FeatureSet::default(),
        };
        message = next;
    }
    // Options sit at tag 8 (file), 7 (message), 8 (field), 2 (oneof), 3 (enum, service,
    // extension range), 3 (enum value), 4 (method).
    for field in message.descriptor().fields() {
        if field.name() == "options" {
            if let Value::Message(options) = &*message.get_field(&field) {
                return FeatureSet::from_options(options);
            }
        }
    }
    FeatureSet::default()
}
