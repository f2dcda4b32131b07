//! The mutation table of the differential test: each row edits the treasure-hunt tree in
//! `base/` into a `current` side; the unedited tree is the `previous` side.

/// One edit of the base tree (paths relative to the module root).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Edit {
    /// Replace the single occurrence of `from` in `file` with `to`.
    Replace(&'static str, &'static str, &'static str),
    /// Delete a file.
    Delete(&'static str),
    /// Move a file.
    Move(&'static str, &'static str),
    /// Append text to a file.
    Append(&'static str, &'static str),
}

use Edit::*;

const T: &str = "hunt/v1/treasure.proto";
const F: &str = "hunt/v1/find.proto";
const L: &str = "hunt/v1/leaderboard.proto";
const E: &str = "hunt/v1/events.proto";
const C: &str = "legacy/v1/catalog.proto";
const P: &str = "hunt/v1alpha1/preview.proto";

/// Every mutation: a name and its edits.
pub(crate) const MUTATIONS: &[(&str, &[Edit])] = &[
    // Nothing changed, or nothing that breaks.
    ("unchanged", &[]),
    ("comment_and_whitespace", &[Replace(T, "// A kind of treasure players can find.\n", "\n\n// A kind of treasure\n// players can find.\n")]),
    ("field_added", &[Replace(T, "  int64 total_found = 13;\n", "  int64 total_found = 13;\n  string season = 14;\n")]),
    ("message_added", &[Append(F, "\nmessage Clue {\n  string text = 1;\n}\n")]),
    ("enum_value_added", &[Replace(T, "  RARITY_LEGENDARY = 4;\n", "  RARITY_LEGENDARY = 4;\n  RARITY_SEASONAL = 5;\n")]),
    ("rpc_added", &[Replace(L, "  rpc Reset(ResetRequest) returns (ResetResponse);\n", "  rpc Reset(ResetRequest) returns (ResetResponse);\n  rpc Ping(ResetRequest) returns (ResetResponse);\n")]),
    ("field_deprecated", &[Replace(T, "  int32 points = 4;", "  int32 points = 4 [deprecated = true];")]),
    // Fields.
    ("field_deleted", &[Replace(T, "  int32 points = 4;\n", "")]),
    ("field_deleted_number_reserved", &[Replace(T, "  int32 points = 4;\n", "  reserved 4;\n")]),
    ("field_deleted_name_reserved", &[Replace(T, "  int32 points = 4;\n", "  reserved \"points\";\n")]),
    ("field_deleted_both_reserved", &[Replace(T, "  int32 points = 4;\n", "  reserved 4;\n  reserved \"points\";\n")]),
    ("nested_field_deleted", &[Replace(T, "      bool pulsing = 2;\n", "")]),
    ("field_renumbered", &[Replace(T, "  int32 points = 4;", "  int32 points = 14;")]),
    ("field_renamed", &[Replace(F, "  string player_id = 2;", "  string finder_id = 2;")]),
    ("field_renamed_keep_json", &[Replace(T, "  string display_name = 2 [json_name = \"displayName\"];", "  string title = 2 [json_name = \"displayName\"];")]),
    ("json_name_changed", &[Replace(T, "[json_name = \"displayName\"]", "[json_name = \"label\"]")]),
    ("json_name_removed", &[Replace(T, " [json_name = \"displayName\"]", "")]),
    ("json_name_added", &[Replace(F, "  double score = 8;", "  double score = 8 [json_name = \"points\"];")]),
    ("type_int32_to_int64", &[Replace(T, "  int32 points = 4;", "  int64 points = 4;")]),
    ("type_int32_to_uint32", &[Replace(T, "  int32 points = 4;", "  uint32 points = 4;")]),
    ("type_int32_to_sint32", &[Replace(T, "  int32 points = 4;", "  sint32 points = 4;")]),
    ("type_int32_to_bool", &[Replace(T, "  int32 points = 4;", "  bool points = 4;")]),
    ("type_string_to_bytes", &[Replace(T, "  string type_id = 1;", "  bytes type_id = 1;")]),
    ("type_bytes_to_string", &[Replace(T, "  bytes icon = 9;", "  string icon = 9;")]),
    ("type_uint64_to_int64", &[Replace(T, "  uint64 weight_grams = 10;", "  int64 weight_grams = 10;")]),
    ("type_sint32_to_sint64", &[Replace(T, "  sint32 difficulty = 11;", "  sint64 difficulty = 11;")]),
    ("type_fixed64_to_sfixed64", &[Replace(T, "  fixed64 checksum = 12;", "  sfixed64 checksum = 12;")]),
    ("type_fixed64_to_double", &[Replace(T, "  fixed64 checksum = 12;", "  double checksum = 12;")]),
    ("type_float_to_double", &[Replace(T, "    float scale = 2;", "    double scale = 2;")]),
    ("type_message_changed", &[Replace(F, "  GeoPoint where = 5;", "  HidingSpot where = 5;")]),
    ("type_enum_to_int32", &[Replace(T, "  Rarity rarity = 3;", "  int32 rarity = 3;")]),
    ("type_message_to_bytes", &[Replace(F, "  GeoPoint where = 5;", "  bytes where = 5;")]),
    ("map_value_type_changed", &[Replace(T, "map<string, string> attributes = 6;", "map<string, bytes> attributes = 6;")]),
    ("map_to_repeated", &[Replace(T, "  map<string, string> attributes = 6;", "  repeated string attributes = 6;")]),
    ("singular_to_repeated", &[Replace(F, "  string witness = 7;\n  }", "  }\n  repeated string witness = 7;")]),
    ("string_to_repeated", &[Replace(F, "  string player_id = 2;", "  repeated string player_id = 2;")]),
    ("repeated_to_singular", &[Replace(T, "  repeated string tags = 5;", "  string tags = 5;")]),
    ("proto3_optional_added", &[Replace(L, "    uint32 rank = 3;", "    optional uint32 rank = 3;")]),
    ("proto3_optional_removed", &[Replace(T, "  optional int64 expires_at = 8;", "  int64 expires_at = 8;")]),
    ("moved_into_oneof", &[Replace(F, "    string witness = 7;\n  }\n  double score = 8;", "    string witness = 7;\n    double score = 8;\n  }")]),
    ("moved_out_of_oneof", &[Replace(F, "    string witness = 7;\n  }", "  }\n  string witness = 7;")]),
    ("moved_to_other_oneof", &[Replace(F, "    string witness = 7;\n  }", "  }\n  oneof testimony {\n    string witness = 7;\n  }")]),
    ("oneof_deleted", &[Replace(T, "    oneof color {\n      string hex = 3;\n      uint32 rgb = 4;\n    }", "    string hex = 3;\n    uint32 rgb = 4;")]),
    ("oneof_renamed", &[Replace(T, "    oneof color {", "    oneof colour {")]),
    ("jstype_added", &[Replace(T, "  int64 total_found = 13;", "  int64 total_found = 13 [jstype = JS_STRING];")]),
    ("ctype_added", &[Replace(C, "  optional string blob_text = 6;", "  optional string blob_text = 6 [ctype = CORD];")]),
    // proto2.
    ("proto2_default_changed", &[Replace(C, "[default = 1]", "[default = 2]")]),
    ("proto2_default_removed", &[Replace(C, " [default = true]", "")]),
    ("proto2_enum_default_changed", &[Replace(C, "[default = KIND_GEM]", "[default = KIND_COIN]")]),
    ("proto2_required_to_optional", &[Replace(C, "  required string catalog_id = 1;", "  optional string catalog_id = 1;")]),
    ("proto2_optional_to_required", &[Replace(C, "  optional string note = 4;", "  required string note = 4;")]),
    ("proto2_optional_to_repeated", &[Replace(C, "  optional int64 updated_at_ms = 5;", "  repeated int64 updated_at_ms = 5;")]),
    ("proto2_group_deleted", &[Replace(C, "    optional group Legacy = 5 {\n      optional string code = 6;\n    }\n", "")]),
    ("proto2_extension_range_shrunk", &[Replace(C, "  extensions 100 to 199;", "  extensions 100 to 150;")]),
    ("proto2_extension_deleted", &[Replace(C, "  optional int32 shelf_count = 101;\n", "")]),
    ("proto2_sfixed32_to_fixed32", &[Replace(C, "    optional sfixed32 shelf = 4;", "    optional fixed32 shelf = 4;")]),
    ("proto2_package_changed", &[Replace(C, "package legacy.v1;", "package legacy.v2;")]),
    ("proto2_to_proto3_syntax", &[Replace(P, "syntax = \"proto3\";", "syntax = \"proto2\";")]),
    // Enums.
    ("enum_value_deleted", &[Replace(T, "  RARITY_EPIC = 3;\n", "")]),
    ("enum_value_deleted_number_reserved", &[Replace(T, "  RARITY_EPIC = 3;\n", "  reserved 3;\n")]),
    ("enum_value_deleted_name_reserved", &[Replace(T, "  RARITY_EPIC = 3;\n", "  reserved \"RARITY_EPIC\";\n")]),
    ("enum_value_renamed", &[Replace(F, "    STATUS_REJECTED = 3;", "    STATUS_DENIED = 3;")]),
    ("enum_value_alias_added", &[Replace(F, "  enum Status {\n", "  enum Status {\n    option allow_alias = true;\n"), Replace(F, "    STATUS_REJECTED = 3;", "    STATUS_REJECTED = 3;\n    STATUS_DENIED = 3;")]),
    ("enum_value_renumbered", &[Replace(F, "    STATUS_REJECTED = 3;", "    STATUS_REJECTED = 4;")]),
    ("enum_deleted", &[Replace(P, "enum PreviewKind {\n  PREVIEW_KIND_UNSPECIFIED = 0;\n  PREVIEW_KIND_GHOST = 1;\n}\n", "")]),
    ("nested_enum_deleted", &[Replace(C, "  enum Kind {\n    KIND_GEM = 1;\n    KIND_COIN = 2;\n    KIND_MAP = 3;\n  }\n", ""), Replace(C, "    optional Kind kind = 3 [default = KIND_GEM];\n", "")]),
    ("enum_reserved_range_removed", &[Replace(T, "  reserved 10 to 12;\n", "")]),
    ("enum_reserved_name_removed", &[Replace(T, "  reserved \"RARITY_MYTHIC\";\n", "")]),
    // Messages.
    ("message_deleted", &[Replace(T, "// A badge granted for a set of finds.\nmessage Badge {\n  string badge_id = 1;\n  repeated string required_type_ids = 2;\n}\n", "")]),
    ("nested_message_deleted", &[Replace(T, "    message Glow {\n      double radius = 1;\n      bool pulsing = 2;\n    }\n    Glow glow = 5;\n", "")]),
    ("message_renamed", &[Replace(L, "  repeated Entry entries = 2;", "  repeated Row entries = 2;"), Replace(L, "  message Entry {", "  message Row {")]),
    ("message_moved_to_other_file", &[Replace(F, "// A place the treasure was hidden.\nmessage HidingSpot {\n  GeoPoint point = 1;\n  string hint = 2;\n}\n", ""), Append(L, "\nmessage HidingSpot {\n  GeoPoint point = 1;\n  string hint = 2;\n}\n")]),
    ("reserved_range_removed", &[Replace(T, "  reserved 20 to 25, 30;", "  reserved 30;")]),
    ("reserved_range_shrunk", &[Replace(T, "  reserved 20 to 25, 30;", "  reserved 20 to 22, 30;")]),
    ("reserved_name_removed", &[Replace(T, "  reserved \"legacy_code\", \"old_points\";", "  reserved \"legacy_code\";")]),
    ("reserved_range_grown", &[Replace(T, "  reserved 20 to 25, 30;", "  reserved 20 to 29, 30;")]),
    ("no_standard_descriptor_accessor", &[Replace(F, "message GeoPoint {\n", "message GeoPoint {\n  option no_standard_descriptor_accessor = true;\n")]),
    // Services.
    ("rpc_deleted", &[Replace(L, "  rpc Reset(ResetRequest) returns (ResetResponse);\n", "")]),
    ("rpc_request_changed", &[Replace(L, "  rpc Reset(ResetRequest) returns (ResetResponse);", "  rpc Reset(GetLeaderboardRequest) returns (ResetResponse);")]),
    ("rpc_response_changed", &[Replace(L, "  rpc Reset(ResetRequest) returns (ResetResponse);", "  rpc Reset(ResetRequest) returns (SubmitFindsResponse);")]),
    ("rpc_server_streaming_removed", &[Replace(L, "returns (stream Leaderboard);", "returns (Leaderboard);")]),
    ("rpc_client_streaming_removed", &[Replace(L, "rpc SubmitFinds(stream Find)", "rpc SubmitFinds(Find)")]),
    ("rpc_client_streaming_added", &[Replace(L, "rpc Reset(ResetRequest)", "rpc Reset(stream ResetRequest)")]),
    ("rpc_idempotency_changed", &[Replace(L, "option idempotency_level = NO_SIDE_EFFECTS;", "option idempotency_level = IDEMPOTENT;")]),
    ("rpc_idempotency_removed", &[Replace(L, "    option idempotency_level = NO_SIDE_EFFECTS;\n", "")]),
    ("service_deleted", &[Replace(L, "// Administrative operations.\nservice AdminService {\n  rpc Purge(ResetRequest) returns (ResetResponse);\n}\n", "")]),
    ("service_renamed", &[Replace(L, "service AdminService {", "service OperatorService {")]),
    // Files and packages.
    ("file_deleted", &[Delete(P)]),
    ("file_moved", &[Move(E, "hunt/v1/stream/events.proto")]),
    ("package_changed", &[Replace(P, "package hunt.v1alpha1;", "package hunt.v1beta1;")]),
    ("go_package_changed", &[Replace(T, "option go_package = \"example.com/hunt/gen/huntv1\";", "option go_package = \"example.com/hunt/gen/hunt/v1;huntv1\";")]),
    ("java_package_changed", &[Replace(T, "option java_package = \"com.example.hunt.v1\";", "option java_package = \"com.example.treasure.v1\";")]),
    ("java_multiple_files_changed", &[Replace(T, "option java_multiple_files = true;", "option java_multiple_files = false;")]),
    ("java_outer_classname_changed", &[Replace(T, "option java_outer_classname = \"TreasureProto\";", "option java_outer_classname = \"Treasures\";")]),
    ("csharp_namespace_changed", &[Replace(T, "option csharp_namespace = \"Example.Hunt.V1\";", "option csharp_namespace = \"Example.Treasure.V1\";")]),
    ("objc_class_prefix_changed", &[Replace(T, "option objc_class_prefix = \"HTV\";", "option objc_class_prefix = \"HTX\";")]),
    ("php_namespace_changed", &[Replace(T, "option php_namespace = \"Example\\\\Hunt\\\\V1\";", "option php_namespace = \"Example\\\\Treasure\";")]),
    ("ruby_package_changed", &[Replace(T, "option ruby_package = \"Example::Hunt::V1\";", "option ruby_package = \"Example::Treasure\";")]),
    ("swift_prefix_changed", &[Replace(T, "option swift_prefix = \"HT\";", "option swift_prefix = \"HX\";")]),
    ("cc_enable_arenas_changed", &[Replace(T, "option cc_enable_arenas = true;", "option cc_enable_arenas = false;")]),
    ("optimize_for_changed", &[Replace(C, "option optimize_for = SPEED;", "option optimize_for = CODE_SIZE;")]),
    ("cc_generic_services_changed", &[Replace(C, "option cc_generic_services = false;", "option cc_generic_services = true;")]),
    ("php_metadata_namespace_added", &[Replace(T, "option swift_prefix = \"HT\";", "option swift_prefix = \"HT\";\noption php_metadata_namespace = \"Example\\\\Meta\";")]),
    // Several changes at once.
    ("many_changes", &[
        Replace(T, "  int32 points = 4;\n", ""),
        Replace(F, "    STATUS_REJECTED = 3;", "    STATUS_DENIED = 3;"),
        Replace(L, "  rpc Reset(ResetRequest) returns (ResetResponse);\n", ""),
        Delete(P),
    ]),
];

/// The categories each mutation is checked under.
pub(crate) const CATEGORIES: &[&str] = &["FILE", "PACKAGE", "WIRE_JSON", "WIRE", "CSR"];
