//! Prometheus metrics, hand-rolled on atomics so the hot path pays a few relaxed
//! increments: per-route request counts and latency, registrations accepted and refused,
//! compatibility-check duration, and store group-commit (write + flush) latency.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::Method;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A latency histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(
            d.as_nanos().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "OTHER"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Counters and latency of one route, shared by the route's layer and the renderer.
#[derive(Debug, Default)]
pub(crate) struct RouteStats {
    counts: [[AtomicU64; CLASSES.len()]; METHODS.len()],
    latency: [Histogram; METHODS.len()],
}

impl RouteStats {
    /// Records one request answered with `status` after `d`.
    pub(crate) fn record(&self, method: &Method, status: u16, d: Duration) {
        let m = match *method {
            Method::GET => 0,
            Method::POST => 1,
            Method::PUT => 2,
            Method::DELETE => 3,
            _ => 4,
        };
        let class = usize::from((status / 100).clamp(1, 5) - 1);
        self.counts[m][class].fetch_add(1, Ordering::Relaxed);
        self.latency[m].observe(d);
    }

    /// Whether no request was recorded yet (such a route is not rendered).
    fn is_unused(&self) -> bool {
        self.counts
            .iter()
            .flatten()
            .all(|n| n.load(Ordering::Relaxed) == 0)
    }
}

/// All metrics of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: RwLock<HashMap<String, Arc<RouteStats>>>,
    /// Registrations that created a version or returned an existing one.
    pub registrations_accepted: AtomicU64,
    /// Registrations refused as incompatible.
    pub registrations_refused: AtomicU64,
    /// Duration of compatibility checks.
    pub compat_check: Histogram,
    /// Duration of one store flush (a group commit).
    pub store_flush: Histogram,
    /// Jobs committed by group commits.
    pub store_jobs: AtomicU64,
    /// Set while the store's database does not answer (PostgreSQL only).
    pub store_down: std::sync::atomic::AtomicBool,
}

impl Metrics {
    /// The counters of `route` (the route pattern), created on first use. A route's layer
    /// asks once, when the router is built.
    pub(crate) fn route(&self, route: &str) -> Arc<RouteStats> {
        if let Some(stats) = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(route)
        {
            return stats.clone();
        }
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        routes.entry(route.to_owned()).or_default().clone()
    }

    /// Records one request on `route` (the matched route pattern).
    pub fn record_request(&self, route: &str, method: &Method, status: u16, d: Duration) {
        self.route(route).record(method, status, d);
    }

    /// Renders the Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let routes: Vec<(String, Arc<RouteStats>)> = {
            let r = self.routes.read().unwrap_or_else(|p| p.into_inner());
            let mut v: Vec<_> = r
                .iter()
                .filter(|(_, v)| !v.is_unused())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        out.push_str(
            "# HELP huntreg_http_requests_total HTTP requests by route, method and status class.\n",
        );
        out.push_str("# TYPE huntreg_http_requests_total counter\n");
        for (route, stats) in &routes {
            for (m, method) in METHODS.iter().enumerate() {
                for (c, class) in CLASSES.iter().enumerate() {
                    let n = stats.counts[m][c].load(Ordering::Relaxed);
                    if n > 0 {
                        let _ = writeln!(
                            out,
                            "huntreg_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{class}\"}} {n}",
                            escape_label(route)
                        );
                    }
                }
            }
        }
        out.push_str("# HELP huntreg_http_request_duration_seconds HTTP request latency by route and method.\n");
        out.push_str("# TYPE huntreg_http_request_duration_seconds histogram\n");
        for (route, stats) in &routes {
            for (m, method) in METHODS.iter().enumerate() {
                if stats.latency[m].count.load(Ordering::Relaxed) > 0 {
                    let labels = format!("route=\"{}\",method=\"{method}\"", escape_label(route));
                    stats.latency[m].render(
                        &mut out,
                        "huntreg_http_request_duration_seconds",
                        &labels,
                    );
                }
            }
        }
        out.push_str("# HELP huntreg_registrations_total Schema registrations by outcome.\n");
        out.push_str("# TYPE huntreg_registrations_total counter\n");
        let _ = writeln!(
            out,
            "huntreg_registrations_total{{outcome=\"accepted\"}} {}",
            self.registrations_accepted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "huntreg_registrations_total{{outcome=\"refused\"}} {}",
            self.registrations_refused.load(Ordering::Relaxed)
        );
        out.push_str("# HELP huntreg_compatibility_check_duration_seconds Duration of compatibility checks.\n");
        out.push_str("# TYPE huntreg_compatibility_check_duration_seconds histogram\n");
        self.compat_check
            .render(&mut out, "huntreg_compatibility_check_duration_seconds", "");
        out.push_str(
            "# HELP huntreg_store_up Whether the store answers (0 while its database is down).\n",
        );
        out.push_str("# TYPE huntreg_store_up gauge\n");
        let up = u8::from(!self.store_down.load(Ordering::Relaxed));
        let _ = writeln!(out, "huntreg_store_up {up}");
        out.push_str("# HELP huntreg_store_flush_duration_seconds Duration of one durable group commit flush.\n");
        out.push_str("# TYPE huntreg_store_flush_duration_seconds histogram\n");
        self.store_flush
            .render(&mut out, "huntreg_store_flush_duration_seconds", "");
        out.push_str(
            "# HELP huntreg_store_committed_jobs_total Write jobs made durable by group commits.\n",
        );
        out.push_str("# TYPE huntreg_store_committed_jobs_total counter\n");
        let _ = writeln!(
            out,
            "huntreg_store_committed_jobs_total {}",
            self.store_jobs.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record_request(
            "/schemas/ids/{id}",
            &Method::GET,
            200,
            Duration::from_micros(50),
        );
        m.record_request(
            "/schemas/ids/{id}",
            &Method::GET,
            404,
            Duration::from_millis(2),
        );
        let text = m.render();
        assert!(text.contains("huntreg_http_requests_total{route=\"/schemas/ids/{id}\",method=\"GET\",status=\"2xx\"} 1"));
        assert!(text.contains("huntreg_http_requests_total{route=\"/schemas/ids/{id}\",method=\"GET\",status=\"4xx\"} 1"));
        assert!(text.contains("le=\"0.0001\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
    }
}
