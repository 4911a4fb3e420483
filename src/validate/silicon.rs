//! A data set of AIConfigurator silicon operating points (`calibration/silicon/`) simulated on a
//! shipped measured profile of the same model and GPU.
//!
//! # Simulating a row
//! One aggregated engine at the row's TP, `max_num_seqs` = the row's concurrency, the backend's
//! default per-iteration token budget ([`SiliconSet::max_batched_tokens`]) and scheduler (SGLang
//! does not mix prefill into decode steps by default, so its rows use `prefill-first`); a closed
//! loop at the row's concurrency with the row's fixed ISL and OSL, `clamp(8 × concurrency, 256,
//! 4096)` requests of which the first quarter are warm-up (left out of every metric: steady
//! state, as the issue that introduced `validate` prescribes), seed 1. Compared: mean TTFT, mean
//! TPOT, and mean E2E = TTFT + (OSL − 1)·TPOT (the measured E2E is derived the same way from the
//! row's two means).

use super::sets::DataSet;
use super::{Compared, ConditionResult, RowResult, SetResult};
use crate::analytic::silicon::{parse_csv, SiliconRow};
use crate::calibrate::compare::Metric;
use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::profile::Profile;
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{DeploymentOptions, Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use crate::sim::{simulate, MetricsMode, SimSpec};
use crate::workload::{LengthModel, LoadSpec, WorkloadSpec};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Silicon rows of one model and GPU and how to simulate them.
#[derive(Debug, Clone)]
pub struct SiliconSet {
    /// The CSV, as (shipped path, bytes).
    pub csv: (&'static str, &'static [u8]),
    /// Shipped profile to simulate with.
    pub profile: &'static str,
    /// Only rows at these TPs (the profile's).
    pub tps: Vec<u32>,
    /// Replica scheduler.
    pub scheduler: SchedulerKind,
    /// Per-iteration token budget (the backend's default chunk size).
    pub max_batched_tokens: u32,
}

impl SiliconSet {
    /// The 16 TP1 rows of Llama-3.1-8B FP8 on H200 under SGLang, on the shipped vLLM profile of
    /// the same model and GPU. SGLang 0.5's defaults on a 141 GB GPU: chunked prefill size 8192,
    /// no mixed prefill/decode batches (`--enable-mixed-chunk` is off).
    pub fn llama8b_h200_sglang_tp1() -> Self {
        SiliconSet {
            csv: super::sets::LLAMA8B_H200_SGLANG,
            profile: "llama-3.1-8b-fp8/h200/vllm",
            tps: vec![1],
            scheduler: SchedulerKind::PrefillFirst,
            max_batched_tokens: 8192,
        }
    }

    /// Simulated (mean TTFT, mean TPOT, mean E2E) of a row, ms.
    pub fn simulate_row(
        &self,
        profile: &Profile,
        row: &SiliconRow,
        cal: &Calibration,
        o: &super::ValidateOptions,
    ) -> Result<[f64; 3]> {
        let c = row.concurrency;
        let opts = DeploymentOptions {
            mode: Some(Mode::Agg),
            tp: Some(row.tp),
            max_num_seqs: Some(c),
            max_batched_tokens: Some(self.max_batched_tokens.max(c)),
            scheduler: Some(self.scheduler),
            router: Some(RouterPolicy::LeastLoaded),
            ..DeploymentOptions::default()
        };
        let deployment = opts.build(profile)?;
        let (measured, warmup) = crate::calibrate::silicon_runs::silicon_requests(c);
        let workload = WorkloadSpec::new(
            LoadSpec::Concurrency(c),
            LengthModel::fixed(row.isl, row.osl),
            Some(measured),
            1,
        )
        .with_warmup(warmup);
        let mut spec = SimSpec {
            deployment,
            workload,
            calibration: cal.clone(),
            sla: Sla {
                ttft_ms: f64::INFINITY,
                itl_ms: f64::INFINITY,
            },
            metrics: MetricsMode::Exact,
            variability: Default::default(),
        };
        o.apply(&mut spec);
        let out = simulate(&spec)?;
        let m = &out.metrics;
        if m.requests_completed == 0 {
            return Err(Error::data(
                self.csv.0,
                &row.id,
                "no request completed in the simulation",
            ));
        }
        Ok([m.ttft_ms.mean, m.tpot_ms.mean, m.e2e_latency_s.mean * 1000.0])
    }

    /// Simulates every row of the profile's TPs.
    pub fn evaluate(&self, d: &DataSet, o: &super::ValidateOptions) -> Result<SetResult> {
        let (rows, _) = parse_csv(self.csv.0, self.csv.1, None)?;
        let rows: Vec<SiliconRow> = rows.into_iter().filter(|r| self.tps.contains(&r.tp)).collect();
        let profile = crate::profile::resolve(self.profile)?;
        let cal = Calibration::default();
        let sims: Vec<Result<[f64; 3]>> = rows
            .par_iter()
            .map(|r| self.simulate_row(&profile, r, &cal, o))
            .collect();
        let mut out = Vec::new();
        for (r, s) in rows.iter().zip(sims) {
            let s = s?;
            let hw_e2e = r.ttft_ms + (r.osl as f64 - 1.0) * r.tpot_ms;
            let mut metrics = BTreeMap::new();
            metrics.insert(Metric::TtftMean, Compared::new(r.ttft_ms, s[0]));
            metrics.insert(Metric::TpotMean, Compared::new(r.tpot_ms, s[1]));
            metrics.insert(Metric::E2eMean, Compared::new(hw_e2e, s[2]));
            out.push(RowResult {
                id: format!("tp{} c{} isl{} osl{}", r.tp, r.concurrency, r.isl, r.osl),
                fitted: false,
                metrics,
            });
        }
        Ok(SetResult {
            name: d.name.to_string(),
            description: d.description.to_string(),
            data: self.csv.0.to_string(),
            profile: self.profile.to_string(),
            simulation: format!(
                "agg, 1 engine at the row's TP, scheduler {}, max_batched_tokens {}, max_num_seqs = concurrency; \
                 closed loop at the row's concurrency, fixed ISL/OSL, clamp(8c, 256, 4096) requests, first quarter warm-up",
                self.scheduler, self.max_batched_tokens
            ),
            conditions: vec![ConditionResult {
                condition: "uncalibrated".into(),
                calibration: None,
                fitted_on: vec![],
                rows: out,
            }],
        })
    }
}
