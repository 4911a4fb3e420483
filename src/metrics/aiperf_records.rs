//! AIPerf's per-request `profile_export.jsonl` of a simulated run: one JSON object per line, one
//! line per request, in AIPerf's record schema (`aiperf.common.models.record_models.
//! MetricRecordInfo`, checked against AIPerf 0.13.0), so AIPerf's `plot` and dashboard load it.
//!
//! A line is
//! `{"metadata": {...}, "metrics": {TAG: {"value": V, "unit": U}, ...}, "error": null}`:
//! * `metadata` (`MetricRecordMetadata`): `session_num` (0-based index of the request in id
//!   order), `x_request_id` (the slasim request id, as text), `request_start_ns` (arrival),
//!   `request_end_ns` (last token), `worker_id` / `record_processor_id` (`"slasim"`),
//!   `benchmark_phase` (`"profiling"`: warm-up requests are not recorded), `was_cancelled`
//!   (false). **Times are simulated-clock ns since simulation start**, not `time.time_ns()`
//!   epoch time as in a measured export: the same convention as the aggregate export's
//!   `min_request_timestamp` / `max_response_timestamp`, and what keeps the bytes identical per
//!   seed. AIPerf's plots use these times relative to the earliest request, so they draw the same.
//! * `metrics`, in AIPerf's display units (what its record writer exports):
//!   `request_latency` (ms), `time_to_first_token` (ms), `time_to_first_output_token` (ms, =
//!   TTFT: no reasoning tokens), `inter_token_latency` (ms; only when `osl ≥ 2`),
//!   `output_token_throughput_per_user` (tokens/sec/user = 1000 / ITL ms; only with an ITL > 0),
//!   `output_sequence_length`, `output_token_count`, `input_sequence_length` (tokens).
//!   The latencies are the [`RequestRecord`] methods `--requests-csv` writes (`e2e_ms`,
//!   `ttft_ms`, `itl_ms`), so a line and its CSV row hold the same numbers.
//!
//! Lines are in request-id order (as `--requests-csv`); numbers are Rust's shortest round-trip
//! decimals; no value is NaN or infinite.

use super::aiperf::num;
use super::{sorted_by_id, RequestRecord};
use serde_json::{json, Map, Value};

/// One metric entry, `{"value": v, "unit": unit}`.
fn metric(m: &mut Map<String, Value>, tag: &str, value: Value, unit: &str) {
    m.insert(tag.to_string(), json!({ "value": value, "unit": unit }));
}

/// The AIPerf record (`MetricRecordInfo`) of one request; `index` is its `session_num`.
pub fn aiperf_record(r: &RequestRecord, index: u64) -> Value {
    let mut m = Map::new();
    metric(&mut m, "request_latency", num(r.e2e_ms()), "ms");
    metric(&mut m, "time_to_first_token", num(r.ttft_ms()), "ms");
    metric(&mut m, "time_to_first_output_token", num(r.ttft_ms()), "ms");
    if let Some(itl) = r.itl_ms() {
        metric(&mut m, "inter_token_latency", num(itl), "ms");
        if itl > 0.0 {
            metric(
                &mut m,
                "output_token_throughput_per_user",
                num(1000.0 / itl),
                "tokens/sec/user",
            );
        }
    }
    metric(&mut m, "output_sequence_length", json!(r.osl), "tokens");
    metric(&mut m, "output_token_count", json!(r.osl), "tokens");
    metric(&mut m, "input_sequence_length", json!(r.isl), "tokens");
    json!({
        "metadata": {
            "session_num": index,
            "x_request_id": r.id.to_string(),
            "request_start_ns": r.arrival_ns,
            "request_end_ns": r.completion_ns.max(r.arrival_ns),
            "worker_id": "slasim",
            "record_processor_id": "slasim",
            "benchmark_phase": "profiling",
            "was_cancelled": false,
        },
        "metrics": Value::Object(m),
        "error": null,
    })
}

/// The `profile_export.jsonl` bytes: one [`aiperf_record`] per line (each ending in `\n`), in
/// request-id order (records with equal ids keep their order).
pub fn aiperf_records_jsonl(records: &[RequestRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len().saturating_mul(600).min(1 << 30));
    for (i, r) in sorted_by_id(records).into_iter().enumerate() {
        // serialising a `Value` of strings and finite numbers cannot fail
        out.extend_from_slice(aiperf_record(r, i as u64).to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64, osl: u32) -> RequestRecord {
        RequestRecord {
            id,
            arrival_ns: 1_000_000,
            first_scheduled_ns: 2_000_000,
            first_token_ns: 51_000_000,
            completion_ns: 51_000_000 + 12_500_000 * u64::from(osl.saturating_sub(1)),
            isl: 2048,
            osl,
            preemptions: 0,
            cached_tokens: 0,
        }
    }

    #[test]
    fn record_has_aiperf_keys_units_and_the_csv_numbers() {
        let r = rec(7, 5);
        let v = aiperf_record(&r, 3);
        let md = &v["metadata"];
        assert_eq!(md["session_num"], 3);
        assert_eq!(md["x_request_id"], "7");
        assert_eq!(md["request_start_ns"], 1_000_000);
        assert_eq!(md["request_end_ns"], 101_000_000);
        assert_eq!(md["benchmark_phase"], "profiling");
        let m = &v["metrics"];
        assert_eq!(m["time_to_first_token"]["value"].as_f64(), Some(r.ttft_ms()));
        assert_eq!(m["time_to_first_token"]["unit"], "ms");
        assert_eq!(m["request_latency"]["value"].as_f64(), Some(r.e2e_ms()));
        assert_eq!(m["inter_token_latency"]["value"].as_f64(), r.itl_ms());
        assert_eq!(m["inter_token_latency"]["value"].as_f64(), Some(12.5));
        assert_eq!(m["output_token_throughput_per_user"]["value"].as_f64(), Some(80.0));
        assert_eq!(m["output_sequence_length"]["value"], 5);
        assert_eq!(m["input_sequence_length"]["unit"], "tokens");
        assert!(v["error"].is_null());
    }

    #[test]
    fn one_token_output_has_no_itl() {
        let v = aiperf_record(&rec(1, 1), 0);
        assert!(v["metrics"].get("inter_token_latency").is_none());
        assert!(v["metrics"].get("output_token_throughput_per_user").is_none());
        assert!(v["metrics"].get("time_to_first_token").is_some());
    }

    #[test]
    fn lines_are_in_id_order_and_each_is_json() {
        let bytes = aiperf_records_jsonl(&[rec(5, 3), rec(2, 3), rec(9, 2)]);
        let text = String::from_utf8(bytes).unwrap();
        let ids: Vec<String> = text
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["metadata"]["x_request_id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids, ["2", "5", "9"]);
        assert!(text.ends_with('\n'));
        assert!(aiperf_records_jsonl(&[]).is_empty());
    }
}
