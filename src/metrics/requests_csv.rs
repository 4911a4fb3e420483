//! Per-request CSV (`--requests-csv`): one row per request, sorted by id.
//!
//! Columns, in order ([`REQUESTS_CSV_COLUMNS`]):
//! * `request_id`; `arrived_at` (s since simulation start); `request_num_prefill_tokens` (isl);
//!   `request_num_decode_tokens` (osl);
//! * `ttft_ms`; `itl_ms` (AIPerf definition; empty when osl ≤ 1); `e2e_ms`;
//!   `scheduling_delay_ms`; `preemptions`; `meets_sla` (`true`/`false`);
//! * Vidur `request_metrics.csv` names with Vidur's units (seconds): `prefill_e2e_time` (TTFT, s),
//!   `decode_time_execution_plus_preemption_normalized` ((E2E − TTFT) / osl, s per token — Vidur
//!   normalises by the number of decode tokens; empty when osl = 0), `request_e2e_time` (s),
//!   `request_scheduling_delay` (s), `request_num_restarts` (= preemptions);
//! * `cached_prefix_tokens`: prompt tokens served from the prefix cache (not prefilled) at the
//!   request's latest admission.
//!
//! Numbers are written in Rust's shortest round-trip decimal form (no exponent), so the bytes
//! are deterministic.

use super::{RequestRecord, Sla, NS_PER_S};
use crate::error::{Error, Result};
use crate::output::write_atomic;
use std::path::Path;

/// Header of the per-request CSV, in column order.
pub const REQUESTS_CSV_COLUMNS: [&str; 16] = [
    "request_id",
    "arrived_at",
    "request_num_prefill_tokens",
    "request_num_decode_tokens",
    "ttft_ms",
    "itl_ms",
    "e2e_ms",
    "scheduling_delay_ms",
    "preemptions",
    "meets_sla",
    "prefill_e2e_time",
    "decode_time_execution_plus_preemption_normalized",
    "request_e2e_time",
    "request_scheduling_delay",
    "request_num_restarts",
    "cached_prefix_tokens",
];

/// The per-request CSV as bytes (header + one row per record, sorted by id; records with equal
/// ids keep their order). `sla` decides `meets_sla`.
pub fn requests_csv_bytes(records: &[RequestRecord], sla: &Sla) -> Result<Vec<u8>> {
    let mut sorted: Vec<&RequestRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.id);
    let csv_err = |e: csv::Error| Error::data("(requests csv)", "(csv)", e.to_string());
    let mut w = csv::Writer::from_writer(Vec::with_capacity(
        records.len().saturating_add(1).saturating_mul(160).min(1 << 28),
    ));
    w.write_record(REQUESTS_CSV_COLUMNS).map_err(csv_err)?;
    for r in sorted {
        let ttft_ns = r.ttft_ns();
        let decode_ns = r.e2e_ns().saturating_sub(ttft_ns);
        let row: [String; 16] = [
            r.id.to_string(),
            (r.arrival_ns as f64 / NS_PER_S).to_string(),
            r.isl.to_string(),
            r.osl.to_string(),
            r.ttft_ms().to_string(),
            r.itl_ms().map(|v| v.to_string()).unwrap_or_default(),
            r.e2e_ms().to_string(),
            r.scheduling_delay_ms().to_string(),
            r.preemptions.to_string(),
            r.meets_sla(sla).to_string(),
            (ttft_ns as f64 / NS_PER_S).to_string(),
            if r.osl > 0 {
                (decode_ns as f64 / NS_PER_S / f64::from(r.osl)).to_string()
            } else {
                String::new()
            },
            (r.e2e_ns() as f64 / NS_PER_S).to_string(),
            (r.scheduling_delay_ns() as f64 / NS_PER_S).to_string(),
            r.preemptions.to_string(),
            r.cached_tokens.to_string(),
        ];
        w.write_record(&row).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::data("(requests csv)", "(csv)", e.to_string()))
}

/// Writes the per-request CSV to `path` atomically (temp file + rename): header + one row per
/// record, sorted by id. See the module docs for the columns and units.
pub fn write_requests_csv(path: &Path, records: &[RequestRecord], sla: &Sla) -> Result<()> {
    let bytes = requests_csv_bytes(records, sla).map_err(|e| match e {
        Error::Data { key, problem, .. } => Error::data(path.display().to_string(), key, problem),
        other => other,
    })?;
    write_atomic(path, &bytes)
}
