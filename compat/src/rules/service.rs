//! Service rules: deleted RPCs (matched by name) and RPC signature changes.

use std::collections::HashSet;

use prost_reflect::MethodDescriptor;

use super::text::q;
use super::Cx;
use crate::location::Loc;
use crate::pairs::{MethodPair, ServicePair};

fn loc(m: &MethodDescriptor) -> Loc {
    Loc::at(&m.parent_file(), m.path())
}

/// RPC_NO_DELETE: an RPC is gone from a service.
pub(crate) fn rpc_no_delete(cx: &mut Cx<'_>, pair: &ServicePair) {
    let current: HashSet<String> = pair.cur.methods().map(|m| m.name().to_owned()).collect();
    for prev in pair.prev.methods() {
        if !current.contains(prev.name()) {
            cx.report(
                Some(Loc::at(&pair.cur.parent_file(), pair.cur.path())),
                Some(Loc::at(&pair.prev.parent_file(), pair.prev.path())),
                format!(
                    "Previously present RPC {} on service {} was deleted.",
                    q(prev.name()),
                    q(pair.cur.name())
                ),
            );
        }
    }
}

fn streaming(cx: &mut Cx<'_>, pair: &MethodPair, side: &str, get: fn(&MethodDescriptor) -> bool) {
    let (prev, cur) = (get(&pair.prev), get(&pair.cur));
    if prev != cur {
        let name = |s: bool| if s { "streaming" } else { "unary" };
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "RPC {} on service {} changed from {side} {} to {side} {}.",
                q(pair.cur.name()),
                q(pair.cur.parent_service().name()),
                name(prev),
                name(cur)
            ),
        );
    }
}

/// RPC_SAME_CLIENT_STREAMING: client streaming was turned on or off.
pub(crate) fn rpc_same_client_streaming(cx: &mut Cx<'_>, pair: &MethodPair) {
    streaming(cx, pair, "client", MethodDescriptor::is_client_streaming);
}

/// RPC_SAME_SERVER_STREAMING: server streaming was turned on or off.
pub(crate) fn rpc_same_server_streaming(cx: &mut Cx<'_>, pair: &MethodPair) {
    streaming(cx, pair, "server", MethodDescriptor::is_server_streaming);
}

fn type_name(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("").trim_start_matches('.')
}

/// RPC_SAME_REQUEST_TYPE: the request message changed.
pub(crate) fn rpc_same_request_type(cx: &mut Cx<'_>, pair: &MethodPair) {
    let prev = type_name(&pair.prev.method_descriptor_proto().input_type).to_owned();
    let cur = type_name(&pair.cur.method_descriptor_proto().input_type).to_owned();
    if prev != cur {
        cx.report(
            Some(Loc::sub(&pair.cur.parent_file(), pair.cur.path(), &[2])),
            Some(Loc::sub(&pair.prev.parent_file(), pair.prev.path(), &[2])),
            format!(
                "RPC {} on service {} changed request type from {} to {}.",
                q(pair.cur.name()),
                q(pair.cur.parent_service().name()),
                q(&prev),
                q(&cur)
            ),
        );
    }
}

/// RPC_SAME_RESPONSE_TYPE: the response message changed.
pub(crate) fn rpc_same_response_type(cx: &mut Cx<'_>, pair: &MethodPair) {
    let prev = type_name(&pair.prev.method_descriptor_proto().output_type).to_owned();
    let cur = type_name(&pair.cur.method_descriptor_proto().output_type).to_owned();
    if prev != cur {
        cx.report(
            Some(Loc::sub(&pair.cur.parent_file(), pair.cur.path(), &[3])),
            Some(Loc::sub(&pair.prev.parent_file(), pair.prev.path(), &[3])),
            format!(
                "RPC {} on service {} changed response type from {} to {}.",
                q(pair.cur.name()),
                q(pair.cur.parent_service().name()),
                q(&prev),
                q(&cur)
            ),
        );
    }
}

/// RPC_SAME_IDEMPOTENCY_LEVEL: option `idempotency_level` changed.
pub(crate) fn rpc_same_idempotency_level(cx: &mut Cx<'_>, pair: &MethodPair) {
    let level = |m: &MethodDescriptor| match m
        .method_descriptor_proto()
        .options
        .as_ref()
        .and_then(|o| o.idempotency_level)
        .unwrap_or(0)
    {
        1 => "NO_SIDE_EFFECTS",
        2 => "IDEMPOTENT",
        _ => "IDEMPOTENCY_UNKNOWN",
    };
    let (prev, cur) = (level(&pair.prev), level(&pair.cur));
    if prev != cur {
        cx.report(
            Some(Loc::sub(&pair.cur.parent_file(), pair.cur.path(), &[4, 34])),
            Some(Loc::sub(
                &pair.prev.parent_file(),
                pair.prev.path(),
                &[4, 34],
            )),
            format!(
                "RPC {} on service {} changed option \"idempotency_level\" from {} to {}.",
                q(pair.cur.name()),
                q(pair.cur.parent_service().name()),
                q(prev),
                q(cur)
            ),
        );
    }
}
