//! Per-method numbers: the prediction at each level (simulating the method's own profile), the
//! actual values of its validation runs, the signed errors, MAPE, cost and warnings.

use super::cost::{self, CostModel};
use super::folder::{Folder, Validation};
use super::{
    error_pct, Level, LevelMetrics, Mape, MethodLevel, MethodResult, ProfileSummary, RealOptions, ValidationRun,
};
use crate::calibrate::hwrun::RunLoad;
use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{Deployment, DeploymentOptions, Mode};
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{LengthModel, LoadSpec, WorkloadSpec};

/// Everything about one method (see [`MethodResult`]).
pub fn evaluate(
    f: &Folder,
    levels: &[Level],
    max_bs: u32,
    opts: &RealOptions,
    calibration: &Calibration,
    model: &CostModel,
) -> Result<MethodResult> {
    let mut warnings = f.warnings.clone();
    let dep = DeploymentOptions {
        mode: Some(Mode::Disagg),
        prefill_tp: Some(f.config.prefill_tp),
        decode_tp: Some(f.config.decode_tp),
        prefill_workers: Some(1),
        decode_workers: Some(1),
        max_num_seqs: Some(max_bs),
        ..DeploymentOptions::default()
    }
    .build(&f.profile)
    .map_err(|e| {
        Error::data(
            f.dir.display().to_string(),
            "(deployment)",
            format!("cannot build {}: {e}", f.label),
        )
    })?;

    let profile = profile_summary(f, levels, max_bs)?;
    if let Some(w) = &profile.kv_warning {
        warnings.push(w.clone());
    }

    let mut out_levels = Vec::new();
    for level in levels {
        let (predicted, note) = predict(&dep, level, opts.sla, calibration, opts.seeds)?;
        if let Some(n) = &note {
            warnings.push(format!("level `{}`: {n}", level.name));
        }
        let v = f.validation.iter().find(|v| v.level == level.name);
        let actual = v.map(|v| actual(v, f.config.num_gpus));
        let error = actual
            .as_ref()
            .map(|a| predicted.zip_with(a, error_pct))
            .unwrap_or_default();
        let diff = actual
            .as_ref()
            .and_then(|a| predicted.sla_hit_rate.zip(a.sla_hit_rate))
            .map(|(p, a)| (p - a) * 100.0);
        out_levels.push(MethodLevel {
            name: level.name.clone(),
            concurrency: level.concurrency,
            predicted,
            actual,
            error_pct: error,
            sla_hit_diff_pp: diff,
            note,
        });
    }
    let mape = mape(&out_levels);

    for v in &f.validation {
        if let Some(s) = v.run.sla {
            if s != opts.sla {
                warnings.push(format!(
                    "{}: AIPerf counted goodput against TTFT ≤ {} ms, ITL ≤ {} ms, not the --ttft {} / --itl {} targets \
                     the predictions use",
                    v.run.file, s.ttft_ms, s.itl_ms, opts.sla.ttft_ms, opts.sla.itl_ms
                ));
            }
        }
    }

    let est = cost::estimate(f.kind.0, profile.prefill_points, profile.decode_points, model);
    let cost = match f.log.as_ref().and_then(|l| l.span.as_ref()) {
        Some(span) => cost::with_log(est, span),
        None => est,
    };
    let suggested = f.log.as_ref().and_then(|l| l.suggested.clone());
    if let Some(s) = &suggested {
        for (role, tp, want) in [
            ("prefill", s.prefill_tp, f.config.prefill_tp),
            ("decode", s.decode_tp, f.config.decode_tp),
        ] {
            if tp.is_some_and(|t| t != want) {
                warnings.push(format!(
                    "profile_sla.log suggests {role} TP {} but the recommended config ({}) has TP {want}",
                    tp.unwrap_or_default(),
                    f.config.source
                ));
            }
        }
    }
    Ok(MethodResult {
        label: f.label.clone(),
        folder: f.dir.display().to_string(),
        kind: f.kind.0,
        kind_source: f.kind.1.clone(),
        config: f.config.clone(),
        profile,
        cost,
        has_validation: !f.validation.is_empty(),
        validation: f.validation.iter().map(validation_run).collect(),
        levels: out_levels,
        mape,
        suggested,
        warnings,
    })
}

fn profile_summary(f: &Folder, levels: &[Level], max_bs: u32) -> Result<ProfileSummary> {
    let p = &f.profile;
    let pe = p.prefill_engine(Some(f.config.prefill_tp), "--prefill-tp")?;
    let de = p.decode_engine(Some(f.config.decode_tp), "--decode-tp")?;
    let prefill_points = pe.prefill.as_ref().map_or(0, |c| c.isl.len());
    let decode_points = de.decode.as_ref().map_or(0, |d| d.points().len());
    let max_kv = de.kv_scale_tokens().unwrap_or(0.0);
    let cap = de.kv_capacity_tokens().unwrap_or(0.0);
    let per_request = levels.iter().map(|l| l.isl as u64 + l.osl as u64).max().unwrap_or(0);
    let needed = max_bs as f64 * per_request as f64;
    let kv_warning = (cap < needed).then(|| {
        format!(
            "the decode engine's KV cache holds {cap:.0} tokens (max_kv_tokens {max_kv:.0}), less than MAX_BS {max_bs} × \
             (ISL + OSL) {per_request} = {needed:.0}: at most {} requests fit at once, so the predictions at higher \
             concurrency queue on KV space",
            (cap / per_request.max(1) as f64).floor()
        )
    });
    Ok(ProfileSummary {
        model: p.model.clone(),
        gpu: p.gpu.clone(),
        backend: p.backend.clone(),
        prefill_points,
        decode_points,
        max_kv_tokens: max_kv,
        kv_capacity_tokens: cap,
        kv_needed_tokens: needed,
        kv_warning,
    })
}

/// Simulates `level` on `dep` over seeds 0..seeds, averaging every metric. A note (and null
/// predictions) when no request completes.
fn predict(
    dep: &Deployment,
    level: &Level,
    sla: Sla,
    calibration: &Calibration,
    seeds: u32,
) -> Result<(LevelMetrics, Option<String>)> {
    let mut sum = [0.0f64; 11];
    for seed in 0..seeds.max(1) {
        let spec = SimSpec {
            deployment: dep.clone(),
            workload: WorkloadSpec::new(
                LoadSpec::Concurrency(level.concurrency),
                LengthModel::fixed(level.isl, level.osl),
                Some(level.requests),
                u64::from(seed),
            ),
            calibration: calibration.clone(),
            sla,
            metrics: MetricsMode::Exact,
            variability: Default::default(),
        };
        let out = simulate(&spec)?;
        let m = &out.metrics;
        if m.requests_completed == 0 {
            return Ok((
                LevelMetrics::default(),
                Some(format!(
                    "no prediction: none of the {} requests (ISL {}, OSL {}) fits the KV cache of {} ({} dropped)",
                    level.requests,
                    level.isl,
                    level.osl,
                    dep.short(),
                    out.rejected
                )),
            ));
        }
        let v = [
            m.ttft_ms.p50,
            m.ttft_ms.p99,
            m.ttft_ms.mean,
            m.itl_ms.p50,
            m.itl_ms.p99,
            m.itl_ms.mean,
            m.sla_hit_rate,
            m.goodput_req_s,
            m.goodput_per_gpu,
            m.request_throughput,
            m.throughput_token_s,
        ];
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    let n = f64::from(seeds.max(1));
    let a = |i: usize| Some(sum[i] / n);
    Ok((
        LevelMetrics {
            ttft_p50_ms: a(0),
            ttft_p99_ms: a(1),
            ttft_mean_ms: a(2),
            itl_p50_ms: a(3),
            itl_p99_ms: a(4),
            itl_mean_ms: a(5),
            sla_hit_rate: a(6),
            goodput_req_s: a(7),
            goodput_per_gpu: a(8),
            request_throughput: a(9),
            throughput_token_s: a(10),
        },
        None,
    ))
}

/// The actual values of a validation run; goodput/GPU over `gpus`. The SLA hit rate is AIPerf's
/// `good_request_count / request_count`, else goodput ÷ request throughput.
fn actual(v: &Validation, gpus: u32) -> LevelMetrics {
    let m = &v.run.metrics;
    let hit = v.extras.sla_hit_rate.or_else(|| {
        m.goodput_req_s
            .zip(m.request_throughput)
            .filter(|(_, r)| *r > 0.0)
            .map(|(g, r)| (g / r).min(1.0))
    });
    LevelMetrics {
        ttft_p50_ms: m.ttft_p50_ms,
        ttft_p99_ms: m.ttft_p99_ms,
        ttft_mean_ms: m.ttft_mean_ms,
        itl_p50_ms: m.tpot_p50_ms,
        itl_p99_ms: m.tpot_p99_ms,
        itl_mean_ms: m.tpot_mean_ms,
        sla_hit_rate: hit,
        goodput_req_s: m.goodput_req_s,
        goodput_per_gpu: m.goodput_req_s.map(|g| g / f64::from(gpus.max(1))),
        request_throughput: m.request_throughput,
        throughput_token_s: m.throughput_token_s,
    }
}

fn validation_run(v: &Validation) -> ValidationRun {
    let concurrency = match v.run.load {
        RunLoad::Concurrency(c) => c,
        _ => 0,
    };
    ValidationRun {
        level: v.level.clone(),
        file: v.run.file.clone(),
        concurrency,
        requests: v.run.requests,
        isl: v.run.isl,
        osl: v.run.osl,
        sla: v.run.sla,
    }
}

/// MAPE of the TTFT and ITL medians over the levels where both the prediction and the actual
/// value exist.
pub fn mape(levels: &[MethodLevel]) -> Mape {
    let mean_abs = |get: fn(&LevelMetrics) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = levels.iter().filter_map(|l| get(&l.error_pct)).map(f64::abs).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let ttft = mean_abs(|m| m.ttft_p50_ms);
    let itl = mean_abs(|m| m.itl_p50_ms);
    let combined = match (ttft, itl) {
        (Some(a), Some(b)) => Some((a + b) / 2.0),
        (a, b) => a.or(b),
    };
    Mape {
        levels_with_actuals: levels
            .iter()
            .filter(|l| l.actual.is_some() && l.predicted.ttft_p50_ms.is_some())
            .count(),
        ttft_p50_pct: ttft,
        itl_p50_pct: itl,
        combined_pct: combined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(pred: (f64, f64), act: Option<(f64, f64)>) -> MethodLevel {
        let p = LevelMetrics {
            ttft_p50_ms: Some(pred.0),
            itl_p50_ms: Some(pred.1),
            ..LevelMetrics::default()
        };
        let a = act.map(|a| LevelMetrics {
            ttft_p50_ms: Some(a.0),
            itl_p50_ms: Some(a.1),
            ..LevelMetrics::default()
        });
        let e = a.as_ref().map(|a| p.zip_with(a, error_pct)).unwrap_or_default();
        MethodLevel {
            name: "x".into(),
            concurrency: 1,
            predicted: p,
            actual: a,
            error_pct: e,
            sla_hit_diff_pp: None,
            note: None,
        }
    }

    #[test]
    fn mape_over_levels_with_actuals() {
        let m = mape(&[
            lvl((50.0, 11.0), Some((100.0, 10.0))),
            lvl((300.0, 8.0), Some((200.0, 10.0))),
            lvl((1.0, 1.0), None),
        ]);
        assert_eq!(m.levels_with_actuals, 2);
        assert_eq!(m.ttft_p50_pct, Some(50.0));
        assert!((m.itl_p50_pct.unwrap() - 15.0).abs() < 1e-9);
        assert!((m.combined_pct.unwrap() - 32.5).abs() < 1e-9);
        let none = mape(&[lvl((1.0, 1.0), None)]);
        assert_eq!(
            (none.levels_with_actuals, none.ttft_p50_pct, none.combined_pct),
            (0, None, None)
        );
    }
}
