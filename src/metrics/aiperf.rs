//! The AIPerf `profile_export_aiperf.json` layout of a simulated run, so existing AIPerf
//! tooling reads predictions.
//!
//! Top-level keys, in the order AIPerf writes them (a subset of a real export: those that can be
//! computed from the simulation):
//! `request_throughput`, `request_latency`, `request_count`, `time_to_first_token`,
//! `inter_token_latency`, `output_token_throughput`, `output_token_throughput_per_user`,
//! `output_sequence_length`, `input_sequence_length`, `goodput`, `good_request_count`,
//! `output_token_count`, `reasoning_token_count` (null), `min_request_timestamp`,
//! `max_response_timestamp`, `total_output_tokens`, `total_reasoning_tokens` (null),
//! `benchmark_duration`, `total_isl`, `total_osl`, `error_request_count` / `error_isl` /
//! `total_error_isl` (null: no errors — AIPerf writes null then too), `input_config`,
//! `was_cancelled` (false), `error_summary` ([]), `time_to_first_output_token` (= TTFT: no
//! reasoning tokens), `prefill_throughput` (ISL / TTFT per request), then `"source": "slasim"`.
//!
//! A distribution entry is `{"unit","avg","p1","p5","p10","p25","p50","p75","p90","p95","p99",
//! "min","max","std"}` (population std, as AIPerf); a single-value entry is `{"unit","avg"}`.
//! Units as AIPerf: ms, requests/sec, tokens/sec, tokens/sec/user, tokens, requests, ns, sec.
//!
//! Left out on purpose:
//! * `time_to_second_token` — the record has no second-token time, and an ITL-based guess would
//!   look like a measurement (real runs show it differs from ITL: 25 ms vs 12.8 ms in the Dynamo
//!   comparison export);
//! * `inter_chunk_latency` — needs every chunk's time, only the mean ITL is known;
//! * `telemetry_data`, `start_time`, `end_time` — wall-clock data, which would break
//!   byte-identical output.
//!
//! A distribution with no values (e.g. `inter_token_latency` when every request has `osl == 1`,
//! or everything in an empty run) is left out, as AIPerf does for metrics it cannot compute;
//! single-value entries are always present (0 when empty). `min_request_timestamp` and
//! `max_response_timestamp` are simulated-clock ns (since simulation start), not epoch time.
//! No value is NaN or infinite.

use super::percentile::{Summary, AIPERF_PERCENTILES};
use super::{MetricsCollector, Sla};
use serde_json::{json, Map, Value};

/// What an AIPerf export states about the run beyond the records: the `input_config` fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AiperfContext {
    /// Model name (`input_config.endpoint.model_names[0]`).
    pub model: String,
    /// Closed-loop concurrency (`loadgen.concurrency`), if the workload is closed-loop.
    pub concurrency: Option<u32>,
    /// Open-loop request rate, requests/s (`loadgen.request_rate`), if open-loop.
    pub request_rate: Option<f64>,
    /// Requests in the benchmark (`loadgen.request_count`).
    pub request_count: u64,
    /// Goodput targets (`input.goodput`: `time_to_first_token`, `inter_token_latency`, ms).
    pub sla: Sla,
}

/// AIPerf percentile keys, matching [`AIPERF_PERCENTILES`].
const PCT_KEYS: [&str; 9] = ["p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99"];

/// A finite JSON number (non-finite → 0; inputs are finite in practice).
pub(super) fn num(x: f64) -> Value {
    json!(if x.is_finite() { x } else { 0.0 })
}

/// `{"unit", "avg"}`.
fn single(unit: &str, avg: f64) -> Value {
    json!({ "unit": unit, "avg": num(avg) })
}

/// `{"unit","avg","p1",…,"p99","min","max","std"}`, or `None` without values.
fn dist(unit: &str, s: &Summary) -> Option<Value> {
    if s.count == 0 {
        return None;
    }
    let mut m = Map::new();
    m.insert("unit".into(), json!(unit));
    m.insert("avg".into(), num(s.mean));
    debug_assert_eq!(PCT_KEYS.len(), AIPERF_PERCENTILES.len());
    for (k, v) in PCT_KEYS.iter().zip(s.pct) {
        m.insert((*k).into(), num(v));
    }
    m.insert("min".into(), num(s.min));
    m.insert("max".into(), num(s.max));
    m.insert("std".into(), num(s.std));
    Some(Value::Object(m))
}

/// A mean token count as AIPerf writes config values: an integer when it is one.
fn token_mean(x: f64) -> Value {
    if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 9.0e15 {
        json!(x as u64)
    } else {
        num(x)
    }
}

impl MetricsCollector {
    /// The run in AIPerf's `profile_export_aiperf.json` layout (see the module docs for the keys
    /// and what is left out). Goodput uses `ctx.sla`.
    pub fn aiperf_json(&self, ctx: &AiperfContext) -> Value {
        let s = self.summaries(&ctx.sla, true);
        let t = &self.totals;
        let n = t.n as f64;
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        };
        put("request_throughput", Some(single("requests/sec", t.per_s(n))));
        put("request_latency", dist("ms", &s.e2e));
        put("request_count", Some(single("requests", n)));
        put("time_to_first_token", dist("ms", &s.ttft));
        put("inter_token_latency", dist("ms", &s.itl));
        put(
            "output_token_throughput",
            Some(single("tokens/sec", t.per_s(t.output_tokens as f64))),
        );
        put("output_token_throughput_per_user", dist("tokens/sec/user", &s.per_user));
        put("output_sequence_length", dist("tokens", &s.osl));
        put("input_sequence_length", dist("tokens", &s.isl));
        put("goodput", Some(single("requests/sec", t.per_s(s.good))));
        put("good_request_count", Some(single("requests", s.good)));
        put("output_token_count", dist("tokens", &s.osl));
        put("reasoning_token_count", Some(Value::Null));
        put("min_request_timestamp", Some(single("ns", t.start_ns() as f64)));
        put("max_response_timestamp", Some(single("ns", t.end_ns() as f64)));
        put("total_output_tokens", Some(single("tokens", t.output_tokens as f64)));
        put("total_reasoning_tokens", Some(Value::Null));
        put("benchmark_duration", Some(single("sec", t.duration_s())));
        put("total_isl", Some(single("tokens", t.input_tokens as f64)));
        put("total_osl", Some(single("tokens", t.output_tokens as f64)));
        put("error_request_count", Some(Value::Null));
        put("error_isl", Some(Value::Null));
        put("total_error_isl", Some(Value::Null));
        put(
            "input_config",
            Some(input_config(ctx, t.input_tokens, t.output_tokens, t.n)),
        );
        put("was_cancelled", Some(json!(false)));
        put("error_summary", Some(json!([])));
        put("time_to_first_output_token", dist("ms", &s.ttft));
        put("prefill_throughput", dist("tokens/sec", &s.prefill_tput));
        put("source", Some(json!("slasim")));
        Value::Object(m)
    }
}

/// `input_config`: endpoint, goodput targets, mean prompt/output lengths, load generator.
fn input_config(ctx: &AiperfContext, total_isl: u64, total_osl: u64, n: u64) -> Value {
    let mean = |total: u64| if n > 0 { total as f64 / n as f64 } else { 0.0 };
    let mut loadgen = Map::new();
    if let Some(c) = ctx.concurrency {
        loadgen.insert("concurrency".into(), json!(c));
    }
    if let Some(r) = ctx.request_rate.filter(|r| r.is_finite()) {
        loadgen.insert("request_rate".into(), json!(r));
    }
    if ctx.concurrency.is_some() && ctx.request_rate.is_none() {
        loadgen.insert("request_rate_mode".into(), json!("concurrency_burst"));
    }
    loadgen.insert("request_count".into(), json!(ctx.request_count));
    json!({
        "endpoint": { "model_names": [ctx.model], "streaming": true },
        "input": {
            "goodput": {
                "time_to_first_token": num(ctx.sla.ttft_ms),
                "inter_token_latency": num(ctx.sla.itl_ms),
            },
            "prompt": {
                "input_tokens": { "mean": token_mean(mean(total_isl)) },
                "output_tokens": { "mean": token_mean(mean(total_osl)) },
            },
        },
        "loadgen": Value::Object(loadgen),
    })
}
