//! The operator's Prometheus metrics (`GET /metrics`, text format, through
//! the `prometheus` crate): request latency by route, the sync queue and its
//! group sizes, connection-pool use, and scheduler runs and failures.
//!
//! Not for anyone else: the endpoint answers only a request that carries
//! the operator's token (`FATIGUE_METRICS_TOKEN`; unset, it is not served)
//! and comes from a configured network (`FATIGUE_METRICS_ALLOW`, CIDRs,
//! loopback by default). Labels are route patterns (`/v1/teams/{team}/risk`),
//! never ids, so no metric names a team, a person or a force.

use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::app::State;

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    /// Request latency, seconds, by method, route pattern and status class.
    pub http_seconds: HistogramVec,
    /// Batches applied together by one sync transaction.
    pub sync_group_size: Histogram,
    /// Sync batches waiting for a worker, as last seen.
    pub sync_queue_depth: IntGauge,
    /// Pool connections by state (`idle`, `in_use`), read at each scrape.
    pub pool_connections: IntGaugeVec,
    /// Report scheduler visits by outcome (`ran`, `not_due`, `locked`,
    /// `failed`).
    pub scheduler_visits: IntCounterVec,
}

impl Metrics {
    fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let http_seconds = HistogramVec::new(
            HistogramOpts::new(
                "fatigue_http_request_duration_seconds",
                "Request latency by method, route pattern and status class.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )?;
        let sync_group_size = Histogram::with_opts(
            HistogramOpts::new(
                "fatigue_sync_group_size",
                "Sync batches applied in one transaction (group commit).",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )?;
        let sync_queue_depth = IntGauge::new(
            "fatigue_sync_queue_depth",
            "Sync batches waiting for a worker when a group was last taken.",
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "fatigue_db_pool_connections",
                "Database pool connections by state.",
            ),
            &["state"],
        )?;
        let scheduler_visits = IntCounterVec::new(
            Opts::new(
                "fatigue_report_scheduler_visits_total",
                "Report scheduler visits to a force, by outcome.",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(http_seconds.clone()))?;
        registry.register(Box::new(sync_group_size.clone()))?;
        registry.register(Box::new(sync_queue_depth.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(scheduler_visits.clone()))?;
        Ok(Metrics {
            registry,
            http_seconds,
            sync_group_size,
            sync_queue_depth,
            pool_connections,
            scheduler_visits,
        })
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding to a Vec only fails for invalid metric names, fixed above.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The process's metrics, made on first use; `None` only if a metric could
/// not be registered (a programming error, logged once).
pub fn get() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS
        .get_or_init(|| match Metrics::new() {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::error!(error = %e, "metrics not registered");
                None
            }
        })
        .as_ref()
}

/// Middleware: times every request and records it under its route pattern.
///
/// # Errors
/// The inner service's.
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.call(req).await?;
    if let Some(m) = get() {
        let status = format!("{}xx", res.status().as_u16() / 100);
        m.http_seconds
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

/// `GET /metrics`: the text exposition, for the operator only. Not found
/// when no token is configured; forbidden outside the allowed networks or
/// without the token (compared in constant time).
pub async fn scrape(state: State, req: HttpRequest) -> HttpResponse {
    let settings = &state.config.metrics;
    let Some(token) = settings.token.as_deref() else {
        return HttpResponse::NotFound().finish();
    };
    let peer = req.peer_addr().map(|a| a.ip());
    let allowed = peer.is_some_and(|ip| settings.allow.iter().any(|net| net.contains(&ip)));
    let sent = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let token_ok = crate::auth::secret_hash(sent) == crate::auth::secret_hash(token);
    if !allowed || !token_ok {
        return HttpResponse::Forbidden().finish();
    }
    let Some(m) = get() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let pool = state.pool.state();
    m.pool_connections
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle_connections));
    m.pool_connections
        .with_label_values(&["in_use"])
        .set(i64::from(
            pool.connections.saturating_sub(pool.idle_connections),
        ));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render())
}

/// Registers `GET /metrics` (outside the API: it has no OpenAPI operation).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(scrape));
}

/// Who may read `/metrics` (`[metrics]` in the config file, or
/// `FATIGUE_METRICS_TOKEN` and `FATIGUE_METRICS_ALLOW`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// The operator's bearer token; unset, `/metrics` is not served.
    pub token: Option<String>,
    /// Networks a scrape may come from (CIDRs); loopback by default.
    pub allow: Vec<ipnet::IpNet>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            token: None,
            allow: ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect(),
        }
    }
}

impl MetricsSettings {
    /// Applies `FATIGUE_METRICS_TOKEN` and `FATIGUE_METRICS_ALLOW`
    /// (comma-separated CIDRs).
    ///
    /// # Errors
    /// [`crate::config::ConfigError::Env`] for a CIDR that does not parse,
    /// or a token under 32 characters.
    pub fn apply_env(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), crate::config::ConfigError> {
        if let Some(v) = get("FATIGUE_METRICS_TOKEN").filter(|v| !v.is_empty()) {
            if v.len() < 32 {
                return Err(crate::config::ConfigError::Env {
                    name: "FATIGUE_METRICS_TOKEN",
                    message: "at least 32 characters".to_owned(),
                });
            }
            self.token = Some(v);
        }
        if let Some(v) = get("FATIGUE_METRICS_ALLOW") {
            self.allow = v
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    n.parse()
                        .map_err(|e: ipnet::AddrParseError| crate::config::ConfigError::Env {
                            name: "FATIGUE_METRICS_ALLOW",
                            message: format!("{n}: {e}"),
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }
}
