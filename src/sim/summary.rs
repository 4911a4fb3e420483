//! The summary JSON of a simulated run (SPEC §4): a superset of the hardware-run template, so
//! a simulated run and a real one have the same shape.

use super::{SimOutcome, SimSpec};
use crate::workload::{ArrivalPattern, LengthDist, LengthModel, LoadSpec, WorkloadSpec};
use serde_json::{json, Value};

/// A length distribution as JSON: a number when fixed, else its spec string.
fn dist_json(d: &LengthDist) -> Value {
    match d {
        LengthDist::Fixed(n) => json!(n),
        LengthDist::Uniform { min, max } => json!(format!("uniform:{min}:{max}")),
        LengthDist::Normal { mean, std } => json!(format!("normal:{mean}:{std}")),
        LengthDist::Lognormal { mean, std } => json!(format!("lognormal:{mean}:{std}")),
        LengthDist::Zipf { max, exponent } => json!(format!("zipf:{max}:{exponent}")),
    }
}

/// The `workload` block.
pub fn workload_json(w: &WorkloadSpec) -> Value {
    let mut o = serde_json::Map::new();
    match &w.load {
        LoadSpec::Concurrency(n) => {
            o.insert("type".into(), json!("concurrency"));
            o.insert("concurrency".into(), json!(n));
        }
        LoadSpec::OpenLoop(p) => match p {
            ArrivalPattern::Poisson { rps } => {
                o.insert("type".into(), json!("poisson"));
                o.insert("rps".into(), json!(rps));
            }
            ArrivalPattern::Gamma { rps, cv } => {
                o.insert("type".into(), json!("gamma"));
                o.insert("rps".into(), json!(rps));
                o.insert("cv".into(), json!(cv));
            }
            ArrivalPattern::Constant { rps } => {
                o.insert("type".into(), json!("constant"));
                o.insert("rps".into(), json!(rps));
            }
            ArrivalPattern::Sinusoid {
                min_rps,
                max_rps,
                period_s,
            } => {
                o.insert("type".into(), json!("sinusoid"));
                o.insert("min_rps".into(), json!(min_rps));
                o.insert("max_rps".into(), json!(max_rps));
                o.insert("period_s".into(), json!(period_s));
            }
            ArrivalPattern::Piecewise { steps } => {
                o.insert("type".into(), json!("piecewise"));
                o.insert(
                    "steps".into(),
                    json!(steps
                        .iter()
                        .map(|(t, r)| json!({"start_s": t, "rps": r}))
                        .collect::<Vec<_>>()),
                );
            }
            ArrivalPattern::Trace => {
                o.insert("type".into(), json!("trace"));
                o.insert("trace_rate_scale".into(), json!(w.trace_rate_scale));
            }
        },
    }
    if let Some(n) = w.request_count() {
        o.insert("requests".into(), json!(n));
    }
    if let Some(d) = w.duration_s {
        o.insert("duration_s".into(), json!(d));
    }
    match &w.lengths {
        LengthModel::Dist { isl, osl } => {
            o.insert("isl".into(), dist_json(isl));
            o.insert("osl".into(), dist_json(osl));
        }
        LengthModel::Trace => {
            o.insert("lengths".into(), json!("trace"));
        }
    }
    if let Some(t) = &w.trace {
        o.insert("trace".into(), json!(t.source));
        if t.prefix.is_some() {
            o.insert("trace_block_size".into(), json!(t.block_tokens()));
        }
    }
    if let Some(p) = &w.shared_prefix {
        o.insert(
            "shared_prefix".into(),
            json!({"groups": p.groups, "prefix_len": dist_json(&p.prefix_len)}),
        );
    }
    if let Some(ss) = &w.sessions {
        // with sessions, the concurrency is the number of sessions in flight
        o.insert(
            "sessions".into(),
            json!({
                "turns": dist_json(&ss.turns),
                "turn_isl": ss.turn_isl.as_ref().map(dist_json),
                "think_time_ms": ss.think_time_ms.to_string(),
            }),
        );
    }
    if w.warmup_requests > 0 {
        o.insert("warmup_requests".into(), json!(w.warmup_requests));
    }
    o.insert("seed".into(), json!(w.seed));
    Value::Object(o)
}

/// A short label of the load, e.g. `c4`, `rps2.5`, `sin5-45`, `trace`.
pub fn load_label(w: &WorkloadSpec) -> String {
    match &w.load {
        LoadSpec::Concurrency(n) => format!("c{n}"),
        LoadSpec::OpenLoop(
            ArrivalPattern::Poisson { rps } | ArrivalPattern::Gamma { rps, .. } | ArrivalPattern::Constant { rps },
        ) => {
            format!("rps{rps}")
        }
        LoadSpec::OpenLoop(ArrivalPattern::Sinusoid { min_rps, max_rps, .. }) => format!("sin{min_rps}-{max_rps}"),
        LoadSpec::OpenLoop(ArrivalPattern::Piecewise { .. }) => "piecewise".into(),
        LoadSpec::OpenLoop(ArrivalPattern::Trace) => "trace".into(),
    }
}

/// The experiment id: profile, mode and load, e.g. `qwen3-32b-h200-trtllm-aic-disagg-c4`.
pub fn experiment_id(spec: &SimSpec) -> String {
    let p = spec.deployment.profile.replace(['/', '\\', ' ', '#'], "-");
    let p = p.trim_start_matches(['.', '-']).to_string();
    format!("{}-{}-{}", p, spec.deployment.mode, load_label(&spec.workload))
}

/// The full summary object of one run.
pub fn summary_json(spec: &SimSpec, out: &SimOutcome) -> Value {
    let mut metrics = serde_json::to_value(&out.metrics).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut metrics {
        m.insert("requests_rejected".into(), json!(out.rejected));
        m.insert("engine_iterations".into(), json!(out.iterations));
        m.insert("simulated_time_s".into(), json!(out.sim_time_s));
        m.insert("prefix_cache_hit_rate".into(), json!(out.prefix_cache_hit_rate()));
        m.insert("prefill_tokens_computed".into(), json!(out.prefill_tokens_computed));
    }
    json!({
        "experiment_id": experiment_id(spec),
        "source": "simulated",
        "config": spec.deployment.config_json(),
        "workload": workload_json(&spec.workload),
        "sla": { "ttft_ms": spec.sla.ttft_ms, "itl_ms": spec.sla.itl_ms },
        "calibration": serde_json::to_value(&spec.calibration).unwrap_or(Value::Null),
        "variability": { "step_cv": spec.variability.step_cv, "latency_cv": spec.variability.latency_cv },
        "prefix_cache": {
            "enabled": spec.deployment.prefix_cache,
            "engines": serde_json::to_value(&out.prefix_cache).unwrap_or(Value::Null),
        },
        "metrics": metrics,
    })
}
