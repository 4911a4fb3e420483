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

/// One value of a per-request row: what a CSV cell prints, typed for programs that take the
/// rows as data (the Python package).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RequestCell {
    /// A count or id.
    Int(u64),
    /// A time or ratio (the unit is the column's).
    Float(f64),
    /// A yes/no column.
    Bool(bool),
    /// No value (`itl_ms` when osl ≤ 1): an empty CSV cell, `None` in Python.
    Empty,
}

impl std::fmt::Display for RequestCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestCell::Int(v) => write!(f, "{v}"),
            RequestCell::Float(v) => write!(f, "{v}"),
            RequestCell::Bool(v) => write!(f, "{v}"),
            RequestCell::Empty => Ok(()),
        }
    }
}

impl RequestCell {
    /// The value as JSON (`null` for [`RequestCell::Empty`]; a non-finite float, which the
    /// simulator does not produce, is `null` too).
    pub fn json(&self) -> serde_json::Value {
        match *self {
            RequestCell::Int(v) => v.into(),
            RequestCell::Float(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
            RequestCell::Bool(v) => v.into(),
            RequestCell::Empty => serde_json::Value::Null,
        }
    }
}

/// The row of one request, in [`REQUESTS_CSV_COLUMNS`] order; `sla` decides `meets_sla`.
pub fn request_row(r: &RequestRecord, sla: &Sla) -> [RequestCell; 16] {
    use RequestCell::{Bool, Empty, Float, Int};
    let ttft_ns = r.ttft_ns();
    let decode_ns = r.e2e_ns().saturating_sub(ttft_ns);
    [
        Int(r.id),
        Float(r.arrival_ns as f64 / NS_PER_S),
        Int(u64::from(r.isl)),
        Int(u64::from(r.osl)),
        Float(r.ttft_ms()),
        r.itl_ms().map_or(Empty, Float),
        Float(r.e2e_ms()),
        Float(r.scheduling_delay_ms()),
        Int(u64::from(r.preemptions)),
        Bool(r.meets_sla(sla)),
        Float(ttft_ns as f64 / NS_PER_S),
        if r.osl > 0 {
            Float(decode_ns as f64 / NS_PER_S / f64::from(r.osl))
        } else {
            Empty
        },
        Float(r.e2e_ns() as f64 / NS_PER_S),
        Float(r.scheduling_delay_ns() as f64 / NS_PER_S),
        Int(u64::from(r.preemptions)),
        Int(u64::from(r.cached_tokens)),
    ]
}

/// The records sorted by id (records with equal ids keep their order), as the CSV lists them.
pub fn sorted_by_id(records: &[RequestRecord]) -> Vec<&RequestRecord> {
    let mut sorted: Vec<&RequestRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.id);
    sorted
}

/// The per-request CSV as bytes (header + one row per record, sorted by id; records with equal
/// ids keep their order). `sla` decides `meets_sla`.
pub fn requests_csv_bytes(records: &[RequestRecord], sla: &Sla) -> Result<Vec<u8>> {
    let csv_err = |e: csv::Error| Error::data("(requests csv)", "(csv)", e.to_string());
    let mut w = csv::Writer::from_writer(Vec::with_capacity(
        records.len().saturating_add(1).saturating_mul(160).min(1 << 28),
    ));
    w.write_record(REQUESTS_CSV_COLUMNS).map_err(csv_err)?;
    for r in sorted_by_id(records) {
        let row = request_row(r, sla).map(|c| c.to_string());
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
