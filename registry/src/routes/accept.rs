//! `Accept` negotiation as Jersey does it for Confluent's resources, which all declare
//! `@Produces({application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json;
//! qs=0.9, application/json; qs=0.5})`.
//!
//! Every pair of a client media range (with `q > 0`) and a produced type it matches is a
//! candidate; the best has the highest client `q`, then the highest server `qs`, then the
//! most specific client range (Jersey's `CombinedMediaType` order; the combined types are
//! all concrete, so their specificity never decides). No `Accept`, `*/*` or anything
//! that lists the v1 type gets v1; `Accept: application/json` alone gets
//! `application/json`. A request no produced type satisfies is refused before the handler
//! runs with `{"error_code":406,"message":"HTTP 406 Not Acceptable"}`. Unparsable ranges
//! are skipped; a header with no parsable range counts as absent.
//!
//! The layer ([`NegotiateLayer`]) is put on each route's methods ([`axum::routing::MethodRouter::route_layer`]),
//! so unknown paths (404) and methods (405) answer first, as in Jersey.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use tower::{Layer, Service};

use crate::error::{Answered, ApiError, CONTENT_TYPE};

/// What the resources produce, with Jersey's `qs` (in thousandths).
const PRODUCED: [(&str, u16); 3] = [
    (CONTENT_TYPE, 1000),
    ("application/vnd.schemaregistry+json", 900),
    ("application/json", 500),
];

/// The negotiation layer, put on a resource's methods: refuses a request whose `Accept`
/// no produced type satisfies (406), and gives the response the negotiated JSON media type.
#[derive(Debug, Clone, Copy)]
pub(super) struct NegotiateLayer;

impl<S> Layer<S> for NegotiateLayer {
    type Service = Negotiate<S>;

    fn layer(&self, inner: S) -> Negotiate<S> {
        Negotiate { inner }
    }
}

/// The service [`NegotiateLayer`] wraps around a resource's methods.
#[derive(Debug, Clone)]
pub(super) struct Negotiate<S> {
    inner: S,
}

impl<S> Service<Request> for Negotiate<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = NegotiateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match choose(req.headers()) {
            None => NegotiateFuture::Refused {
                response: Answered::new(ApiError::NotAcceptable),
            },
            Some(chosen) => NegotiateFuture::Chosen {
                chosen,
                inner: self.inner.call(req),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Negotiate`].
    #[project = NegotiateProj]
    pub(super) enum NegotiateFuture<F> {
        /// No produced type is acceptable: the 406.
        Refused { response: Answered },
        /// The handler's response, to be given the `chosen` type.
        Chosen {
            chosen: &'static str,
            #[pin]
            inner: F,
        },
    }
}

impl<F> Future for NegotiateFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            NegotiateProj::Refused { response } => Poll::Ready(Ok(response.take())),
            NegotiateProj::Chosen { chosen, inner } => {
                let Poll::Ready(Ok(mut response)) = inner.poll(cx) else {
                    return Poll::Pending;
                };
                let headers = response.headers_mut();
                if *chosen != CONTENT_TYPE
                    && headers
                        .get(header::CONTENT_TYPE)
                        .is_some_and(|v| v == CONTENT_TYPE)
                {
                    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(chosen));
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}

/// The produced type to answer with, or `None` when the request accepts none of them.
fn choose(headers: &HeaderMap) -> Option<&'static str> {
    let ranges: Vec<Range<'_>> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(Range::parse)
        .collect();
    if ranges.is_empty() {
        return Some(CONTENT_TYPE);
    }
    let mut best: Option<((u16, u16, u8), &'static str)> = None;
    for (produced, qs) in PRODUCED {
        for range in ranges.iter().filter(|r| r.q > 0) {
            if let Some(specificity) = range.matches(produced) {
                let key = (range.q, qs, specificity);
                if best.is_none_or(|(b, _)| key > b) {
                    best = Some((key, produced));
                }
            }
        }
    }
    best.map(|(_, produced)| produced)
}

/// One media range of an `Accept` header.
#[derive(Debug)]
struct Range<'a> {
    ty: &'a str,
    subtype: &'a str,
    /// The `q` parameter in thousandths (default 1000).
    q: u16,
}

impl<'a> Range<'a> {
    fn parse(raw: &'a str) -> Option<Range<'a>> {
        let mut parts = raw.split(';');
        let (ty, subtype) = parts.next()?.trim().split_once('/')?;
        let (ty, subtype) = (ty.trim(), subtype.trim());
        if ty.is_empty() || subtype.is_empty() {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((name, value)) = param.split_once('=') {
                if name.trim().eq_ignore_ascii_case("q") {
                    let value: f32 = value.trim().parse().ok()?;
                    if !(0.0..=1.0).contains(&value) {
                        return None;
                    }
                    q = (value * 1000.0).round() as u16;
                }
            }
        }
        Some(Range { ty, subtype, q })
    }

    /// How specifically this range matches `produced` (2 exact, 1 `type/*`, 0 `*/*`), or
    /// `None` when it does not.
    fn matches(&self, produced: &str) -> Option<u8> {
        let (ty, subtype) = produced.split_once('/')?;
        let ty_ok = self.ty == "*" || self.ty.eq_ignore_ascii_case(ty);
        let subtype_ok = self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype);
        (ty_ok && subtype_ok).then_some(u8::from(self.ty != "*") + u8::from(self.subtype != "*"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &[&str]) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        for a in accept {
            headers.append(header::ACCEPT, HeaderValue::from_str(a).unwrap());
        }
        choose(&headers)
    }

    #[test]
    fn jersey_picks_by_client_q_then_server_qs() {
        let v1 = Some(CONTENT_TYPE);
        let sr = Some("application/vnd.schemaregistry+json");
        let json = Some("application/json");
        assert_eq!(pick(&[]), v1);
        assert_eq!(pick(&["*/*"]), v1);
        assert_eq!(pick(&["application/*"]), v1);
        // What confluent-kafka sends.
        assert_eq!(
            pick(&["application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"]),
            v1
        );
        assert_eq!(pick(&["application/json"]), json);
        assert_eq!(pick(&["application/json; charset=utf-8"]), json);
        assert_eq!(pick(&["Application/JSON"]), json);
        assert_eq!(pick(&["application/vnd.schemaregistry+json"]), sr);
        assert_eq!(pick(&["application/json, */*;q=0.1"]), json);
        assert_eq!(
            pick(&["application/json;q=0.5, application/vnd.schemaregistry+json;q=0.4"]),
            json
        );
        assert_eq!(pick(&["text/html", "application/json"]), json);
        assert_eq!(pick(&["text/plain"]), None);
        assert_eq!(pick(&["application/xml, text/*"]), None);
        assert_eq!(pick(&["application/json;q=0"]), None);
        // Unparsable ranges are skipped; nothing parsable is no header.
        assert_eq!(pick(&["garbage"]), v1);
        assert_eq!(pick(&["garbage, application/json"]), json);
        assert_eq!(pick(&["application/json;q=2"]), v1);
    }
}
