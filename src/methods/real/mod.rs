//! Mode 1 of `slasim compare-methods`: compare the **real** Dynamo profiling results of several
//! profiling methods (e.g. AIConfigurator's static estimate and online profiling).
//!
//! Each method is a Dynamo profiling results folder (`--results LABEL=DIR`, see [`folder`]):
//! its profile (`selected_{prefill,decode}_interpolation/raw_data.npz` or
//! `{prefill,decode}_raw_data.json`), its recommended prefill/decode config
//! (`config_with_planner.yaml` → `profile_meta.json` → `--prefill-tp`/`--decode-tp`), optional
//! AIPerf validation runs of that config (`validation/{idle,medium,saturation,overload}/
//! profile_export_aiperf.json`) and an optional `profile_sla.log` (duration of the profiling
//! run; the "suggested" operating point it logs).
//!
//! For every method and load level, [`run`] simulates the method's **own** profile (what the
//! method itself predicts; `calibration` applies the same calibration to every method) as one
//! prefill worker at its prefill TP plus one decode worker at its decode TP, `max_num_seqs` =
//! MAX_BS, closed loop at the level's concurrency; then sets the prediction against the
//! validation run of that level, if any.
//!
//! # Conventions (one throughout)
//! * error % = (predicted − actual) / actual × 100, **signed** (negative = the method
//!   under-predicts); MAPE = mean of |error %| over the levels that have an actual value;
//! * goodput = requests/s meeting both SLA targets (AIPerf `goodput.avg`); SLA hit rate = share
//!   of requests meeting both (AIPerf `good_request_count` ÷ `request_count`), 0..=1;
//!   goodput/GPU = goodput ÷ GPUs of the deployment (prefill TP + decode TP);
//! * a profiling log's "suggested" operating point (batch-1 TTFT / ITL of the chosen engines)
//!   is reported apart from the per-load predictions.
//!
//! # Load levels
//! When any folder has validation runs, the levels (name, concurrency, request count, ISL, OSL)
//! are the union of those runs by level name, the same for every method. Otherwise: idle =
//! concurrency 1, medium = round(0.5 × MAX_BS), saturation = round(0.9 × MAX_BS), overload =
//! round(1.1 × MAX_BS) (each ≥ 1 and above the previous one), 100 requests, `--isl`/`--osl`.
//! MAX_BS is `--max-bs`, else by the largest decode TP among the methods: TP ≤ 2 → 8, TP ≤ 4 →
//! 32, larger → 64 — the upper ends of the test plan's ranges (8 for TP1/TP2 disaggregated
//! with ISL 2048, 16–32 for TP4, 32–64 for TP8), so the overload level really overloads.
//!
//! # Outputs (in `out`)
//! `comparison_results.json` (the [`RealComparison`]), `summary.txt` ([`summary_text`]) and,
//! with `plots`, `predicted_vs_actual.{png,svg}` and `cost_vs_error.{png,svg}`.

#![warn(missing_docs)]

pub mod cost;
pub mod folder;
pub mod log;
#[cfg(feature = "plot")]
pub mod plot;
pub mod predict;
pub mod summary;
pub mod yaml;

use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::sim::calibration::Calibration;
use cost::{Cost, CostModel};
use folder::Folder;
use log::Suggested;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

pub use summary::summary_text;

/// Default TTFT target, ms.
pub const DEFAULT_TTFT_MS: f64 = 500.0;
/// Default ITL target, ms.
pub const DEFAULT_ITL_MS: f64 = 50.0;
/// Default input length, tokens.
pub const DEFAULT_ISL: u32 = 2048;
/// Default output length, tokens.
pub const DEFAULT_OSL: u32 = 256;
/// Default number of seeds averaged per simulated level.
pub const DEFAULT_SEEDS: u32 = 3;
/// Requests per level when no validation run says otherwise.
pub const DEFAULT_REQUESTS: u64 = 100;

/// The standard load levels: name and share of MAX_BS (idle is always concurrency 1).
pub const STANDARD_LEVELS: [(&str, f64); 4] = [("idle", 0.0), ("medium", 0.5), ("saturation", 0.9), ("overload", 1.1)];

/// Name of the JSON output.
pub const RESULTS_FILE: &str = "comparison_results.json";
/// Name of the text summary.
pub const SUMMARY_FILE: &str = "summary.txt";
/// Stem of the predicted-vs-actual figure (`.png` and `.svg`).
pub const PREDICTED_VS_ACTUAL: &str = "predicted_vs_actual";
/// Stem of the cost-vs-error figure (`.png` and `.svg`).
pub const COST_VS_ERROR: &str = "cost_vs_error";

/// What to compare (the `compare-methods --results …` command line).
#[derive(Debug, Clone)]
pub struct RealOptions {
    /// `LABEL=DIR` pairs in command-line order: each a Dynamo profiling results folder.
    pub results: Vec<(String, PathBuf)>,
    /// SLA targets (`--ttft`, `--itl`; default 500 / 50 ms).
    pub sla: Sla,
    /// Input length, tokens (default 2048), used when no validation run says otherwise.
    pub isl: u32,
    /// Output length, tokens (default 256), used when no validation run says otherwise.
    pub osl: u32,
    /// `--max-bs`: batch-size cap of the simulated decode/prefill engines and the base of the
    /// rule-derived load levels; default by the rule in the module docs.
    pub max_bs: Option<u32>,
    /// `--prefill-tp`: the prefill TP of a method whose folder states none (last resort).
    pub prefill_tp: Option<u32>,
    /// `--decode-tp`: the decode TP of a method whose folder states none (last resort).
    pub decode_tp: Option<u32>,
    /// Calibration applied to every method's simulation (`None`: each method's raw profile).
    pub calibration: Option<Calibration>,
    /// Seeds averaged per simulated level (seeds 0..seeds; default 3).
    pub seeds: u32,
    /// Output directory (created if missing).
    pub out: PathBuf,
    /// Write the PNG + SVG plots.
    pub plots: bool,
}

impl RealOptions {
    /// Options with every default: SLA 500 / 50 ms, ISL 2048, OSL 256, 3 seeds, plots on.
    pub fn new(results: Vec<(String, PathBuf)>, out: PathBuf) -> Self {
        RealOptions {
            results,
            sla: Sla {
                ttft_ms: DEFAULT_TTFT_MS,
                itl_ms: DEFAULT_ITL_MS,
            },
            isl: DEFAULT_ISL,
            osl: DEFAULT_OSL,
            max_bs: None,
            prefill_tp: None,
            decode_tp: None,
            calibration: None,
            seeds: DEFAULT_SEEDS,
            out,
            plots: true,
        }
    }
}

/// Whether a method estimates statically or measures by deploying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodKind {
    /// A static model (AIConfigurator): no deployments.
    StaticEstimate,
    /// Deploys and benchmarks each candidate engine.
    OnlineProfiling,
}

impl std::fmt::Display for MethodKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MethodKind::StaticEstimate => "static-estimate",
            MethodKind::OnlineProfiling => "online-profiling",
        })
    }
}

/// Where a method's recommended config was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfigSource {
    /// The DynamoGraphDeployment the profiler wrote.
    #[serde(rename = "config_with_planner.yaml")]
    PlannerYaml,
    /// `profile_meta.json` (`prefill_tp`, `decode_tp`).
    #[serde(rename = "profile_meta.json")]
    ProfileMeta,
    /// `--prefill-tp` / `--decode-tp`.
    #[serde(rename = "flags")]
    Flags,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConfigSource::PlannerYaml => "config_with_planner.yaml",
            ConfigSource::ProfileMeta => "profile_meta.json",
            ConfigSource::Flags => "flags",
        })
    }
}

/// A method's recommended disaggregated config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecommendedConfig {
    /// Prefill worker TP (GPUs per prefill worker).
    pub prefill_tp: u32,
    /// Decode worker TP (GPUs per decode worker).
    pub decode_tp: u32,
    /// Prefill replicas the YAML states (informational; one worker is simulated).
    pub prefill_replicas: Option<u32>,
    /// Decode replicas the YAML states (informational; one worker is simulated).
    pub decode_replicas: Option<u32>,
    /// Where the TPs came from.
    pub source: ConfigSource,
    /// The file they came from (`None` for flags).
    pub file: Option<String>,
    /// GPUs of the simulated deployment (one prefill + one decode worker): prefill TP + decode
    /// TP. Divides goodput for goodput/GPU, predicted and actual alike.
    pub num_gpus: u32,
}

/// What a method's profile says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileSummary {
    /// Model id (or "unknown").
    pub model: String,
    /// GPU name (or "unknown").
    pub gpu: String,
    /// Backend (or "unknown").
    pub backend: String,
    /// Measured ISLs of the prefill curve at the recommended prefill TP.
    pub prefill_points: usize,
    /// Measured points of the decode surface at the recommended decode TP.
    pub decode_points: usize,
    /// The decode surface's `max_kv_tokens` (its KV scale), tokens.
    pub max_kv_tokens: f64,
    /// The decode engine's KV capacity used by the simulation, tokens.
    pub kv_capacity_tokens: f64,
    /// KV tokens MAX_BS full-length requests need: MAX_BS × (ISL + OSL), the largest level ISL
    /// + OSL.
    pub kv_needed_tokens: f64,
    /// Set when `kv_capacity_tokens` < `kv_needed_tokens`: the decode engine cannot hold MAX_BS
    /// requests, so the simulation queues on KV space.
    pub kv_warning: Option<String>,
}

/// A load level: closed-loop concurrency and request shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Level {
    /// `idle`, `medium`, `saturation`, `overload` (or a validation folder's own name).
    pub name: String,
    /// Requests in flight (closed loop).
    pub concurrency: u32,
    /// Requests issued.
    pub requests: u64,
    /// Input length, tokens.
    pub isl: u32,
    /// Output length, tokens.
    pub osl: u32,
    /// Where it comes from: `validation run of LABEL (validation/LEVEL/profile_export_aiperf.json)`
    /// or `rule: …`.
    pub source: String,
}

/// Metrics of one method at one level (predicted, actual, or the signed error % of each).
/// Latencies in ms, rates in requests/s (per GPU for `goodput_per_gpu`), tokens/s for
/// `throughput_token_s`, `sla_hit_rate` a share 0..=1. `None` (null) = not known.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LevelMetrics {
    /// Time to first token, median, ms.
    pub ttft_p50_ms: Option<f64>,
    /// Time to first token, 99th percentile, ms.
    pub ttft_p99_ms: Option<f64>,
    /// Time to first token, mean, ms.
    pub ttft_mean_ms: Option<f64>,
    /// Inter-token latency (= TPOT), median, ms.
    pub itl_p50_ms: Option<f64>,
    /// Inter-token latency, 99th percentile, ms.
    pub itl_p99_ms: Option<f64>,
    /// Inter-token latency, mean, ms.
    pub itl_mean_ms: Option<f64>,
    /// Share of requests meeting both SLA targets, 0..=1.
    pub sla_hit_rate: Option<f64>,
    /// Requests/s meeting both SLA targets.
    pub goodput_req_s: Option<f64>,
    /// Goodput ÷ GPUs of the deployment, requests/s/GPU.
    pub goodput_per_gpu: Option<f64>,
    /// Completed requests/s.
    pub request_throughput: Option<f64>,
    /// Output tokens/s.
    pub throughput_token_s: Option<f64>,
}

impl LevelMetrics {
    /// The metrics as (JSON key, value) pairs, in field order.
    pub fn fields(&self) -> [(&'static str, Option<f64>); 11] {
        [
            ("ttft_p50_ms", self.ttft_p50_ms),
            ("ttft_p99_ms", self.ttft_p99_ms),
            ("ttft_mean_ms", self.ttft_mean_ms),
            ("itl_p50_ms", self.itl_p50_ms),
            ("itl_p99_ms", self.itl_p99_ms),
            ("itl_mean_ms", self.itl_mean_ms),
            ("sla_hit_rate", self.sla_hit_rate),
            ("goodput_req_s", self.goodput_req_s),
            ("goodput_per_gpu", self.goodput_per_gpu),
            ("request_throughput", self.request_throughput),
            ("throughput_token_s", self.throughput_token_s),
        ]
    }

    /// Applies `f` to every pair of fields of `self` and `other` (`None` if either is).
    pub fn zip_with(&self, other: &LevelMetrics, f: impl Fn(f64, f64) -> Option<f64>) -> LevelMetrics {
        let g = |a: Option<f64>, b: Option<f64>| a.zip(b).and_then(|(a, b)| f(a, b));
        LevelMetrics {
            ttft_p50_ms: g(self.ttft_p50_ms, other.ttft_p50_ms),
            ttft_p99_ms: g(self.ttft_p99_ms, other.ttft_p99_ms),
            ttft_mean_ms: g(self.ttft_mean_ms, other.ttft_mean_ms),
            itl_p50_ms: g(self.itl_p50_ms, other.itl_p50_ms),
            itl_p99_ms: g(self.itl_p99_ms, other.itl_p99_ms),
            itl_mean_ms: g(self.itl_mean_ms, other.itl_mean_ms),
            sla_hit_rate: g(self.sla_hit_rate, other.sla_hit_rate),
            goodput_req_s: g(self.goodput_req_s, other.goodput_req_s),
            goodput_per_gpu: g(self.goodput_per_gpu, other.goodput_per_gpu),
            request_throughput: g(self.request_throughput, other.request_throughput),
            throughput_token_s: g(self.throughput_token_s, other.throughput_token_s),
        }
    }
}

pub use super::error_pct;

/// One method at one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodLevel {
    /// Level name.
    pub name: String,
    /// Requests in flight.
    pub concurrency: u32,
    /// Simulated from the method's own profile (each field null if no request completed).
    pub predicted: LevelMetrics,
    /// From the method's validation run of this level; null without one.
    pub actual: Option<LevelMetrics>,
    /// Signed error % per metric ([`error_pct`]); a field is null without an actual value (or
    /// when the actual value is 0).
    pub error_pct: LevelMetrics,
    /// Predicted − actual SLA hit rate, percentage points (defined even when the actual rate
    /// is 0, unlike its error %).
    pub sla_hit_diff_pp: Option<f64>,
    /// Why a prediction is missing, if it is.
    pub note: Option<String>,
}

/// Mean absolute errors over the levels with actual values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mape {
    /// Levels with a validation run (and a prediction).
    pub levels_with_actuals: usize,
    /// MAPE of TTFT p50, %.
    pub ttft_p50_pct: Option<f64>,
    /// MAPE of ITL p50, %.
    pub itl_p50_pct: Option<f64>,
    /// Mean of the two (the y axis of the cost-vs-error plot), %.
    pub combined_pct: Option<f64>,
}

/// A validation run a method's actual values come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationRun {
    /// Level (its folder name under `validation/`).
    pub level: String,
    /// The AIPerf export.
    pub file: String,
    /// Requests in flight.
    pub concurrency: u32,
    /// Requests.
    pub requests: u64,
    /// Mean ISL, tokens.
    pub isl: u32,
    /// Mean OSL, tokens.
    pub osl: u32,
    /// The SLA its goodput was counted against (AIPerf `--goodput`), if stated.
    pub sla: Option<Sla>,
}

/// Everything about one method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodResult {
    /// The `--results` label.
    pub label: String,
    /// The results folder.
    pub folder: String,
    /// Static estimate or online profiling.
    pub kind: MethodKind,
    /// How the kind was decided (`profile_meta.json use_ai_configurator = …` or the label).
    pub kind_source: String,
    /// The recommended config.
    pub config: RecommendedConfig,
    /// The profile at that config.
    pub profile: ProfileSummary,
    /// What the profiling run cost (from its log, else estimated).
    pub cost: Cost,
    /// True when the folder has validation runs.
    pub has_validation: bool,
    /// The validation runs read.
    pub validation: Vec<ValidationRun>,
    /// Per level, in the order of [`RealComparison::levels`].
    pub levels: Vec<MethodLevel>,
    /// MAPE of TTFT and ITL medians over the levels with actuals.
    pub mape: Mape,
    /// The "suggested" operating point of `profile_sla.log` (batch-1; not a load-level
    /// prediction), if the log has one.
    pub suggested: Option<Suggested>,
    /// Problems worth knowing about this method's inputs.
    pub warnings: Vec<String>,
}

/// The comparison's inputs, as used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inputs {
    /// `LABEL=DIR` pairs.
    pub results: Vec<ResultsInput>,
    /// SLA targets, ms.
    pub sla: Sla,
    /// `--isl`, tokens.
    pub isl: u32,
    /// `--osl`, tokens.
    pub osl: u32,
    /// Batch-size cap of the simulated engines (MAX_BS).
    pub max_bs: u32,
    /// Why that MAX_BS: `--max-bs` or `rule: largest decode TP T -> B` (TP ≤ 2 → 8, TP ≤ 4 →
    /// 32, larger → 64; see [`default_max_bs`]).
    pub max_bs_source: String,
    /// Seeds averaged per simulated level.
    pub seeds: u32,
    /// The calibration applied to every method (`null`: none, the raw profiles).
    pub calibration: Option<Calibration>,
    /// The definitions used.
    pub conventions: Conventions,
}

/// One `--results` argument.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultsInput {
    /// Label.
    pub label: String,
    /// Folder.
    pub folder: String,
}

/// The definitions of the derived numbers (stated in the JSON so readers need not guess).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conventions {
    /// Error %.
    pub error_pct: &'static str,
    /// MAPE.
    pub mape: &'static str,
    /// Goodput.
    pub goodput: &'static str,
    /// SLA hit rate.
    pub sla_hit_rate: &'static str,
    /// Goodput per GPU.
    pub goodput_per_gpu: &'static str,
    /// Suggested operating point.
    pub suggested: &'static str,
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions {
            error_pct: "(predicted - actual) / actual * 100, signed (negative = under-predicted); null without an \
                        actual value or when it is 0",
            mape: "mean of |error_pct| over the levels with actual values",
            goodput: "requests/s meeting both SLA targets (AIPerf goodput.avg)",
            sla_hit_rate: "share of requests meeting both SLA targets, 0..1 (AIPerf good_request_count / \
                           request_count)",
            goodput_per_gpu: "goodput / GPUs of the deployment (prefill TP + decode TP, one worker each)",
            suggested: "the operating point profile_sla.log suggests (batch-1 TTFT/ITL of the chosen engines), \
                        kept apart from the per-load predictions",
        }
    }
}

/// The whole comparison: the content of `comparison_results.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealComparison {
    /// Always `"results"` (Mode 1: real profiling results).
    pub mode: &'static str,
    /// The inputs, as used.
    pub inputs: Inputs,
    /// The load levels, the same for every method.
    pub levels: Vec<Level>,
    /// One entry per `--results`, in command-line order.
    pub methods: Vec<MethodResult>,
    /// Problems not tied to one method.
    pub warnings: Vec<String>,
    /// The recommendation, sentence by sentence, computed from the numbers above.
    pub recommendation: Vec<String>,
    /// The files written (names within the output directory).
    pub outputs: Vec<String>,
}

/// Compares the methods and writes every output into `opts.out`, which holds
/// [`INCOMPLETE_MARKER`](crate::methods::outdir::INCOMPLETE_MARKER) until the last file is
/// written; returns the comparison.
pub fn run(opts: &RealOptions) -> Result<RealComparison> {
    crate::methods::outdir::OutputFolder::produce(
        &opts.out,
        || compare(opts),
        |out, c| {
            crate::output::write_json(&out.join(RESULTS_FILE), c)?;
            crate::output::write_atomic(&out.join(SUMMARY_FILE), summary_text(c).as_bytes())?;
            #[cfg(feature = "plot")]
            if opts.plots {
                plot::write_plots(c, out)?;
            }
            Ok(())
        },
    )
}

/// Compares the methods without writing anything (`outputs` lists what [`run`] would write).
pub fn compare(opts: &RealOptions) -> Result<RealComparison> {
    check_options(opts)?;
    let mut folders = Vec::new();
    for (label, dir) in &opts.results {
        folders.push(Folder::read(label, dir, opts.prefill_tp, opts.decode_tp)?);
    }
    let (max_bs, max_bs_source) = match opts.max_bs {
        Some(b) => (b, "--max-bs".to_string()),
        None => {
            let tp = folders.iter().map(|f| f.config.decode_tp).max().unwrap_or(1);
            let b = default_max_bs(tp);
            (b, format!("rule: largest decode TP {tp} -> {b}"))
        }
    };
    let mut warnings = Vec::new();
    let levels = derive_levels(&folders, max_bs, opts, &mut warnings)?;
    let model = CostModel::default();
    let calibration = opts.calibration.clone().unwrap_or_default();
    let mut methods = Vec::new();
    for f in &folders {
        methods.push(predict::evaluate(f, &levels, max_bs, opts, &calibration, &model)?);
    }
    let mut outputs = vec![RESULTS_FILE.to_string(), SUMMARY_FILE.to_string()];
    if opts.plots {
        if cfg!(feature = "plot") {
            for stem in [PREDICTED_VS_ACTUAL, COST_VS_ERROR] {
                outputs.push(format!("{stem}.png"));
                outputs.push(format!("{stem}.svg"));
            }
        } else {
            warnings.push("plots not written: slasim was built without the `plot` feature".into());
        }
    }
    let mut c = RealComparison {
        mode: "results",
        inputs: Inputs {
            results: opts
                .results
                .iter()
                .map(|(l, d)| ResultsInput {
                    label: l.clone(),
                    folder: d.display().to_string(),
                })
                .collect(),
            sla: opts.sla,
            isl: opts.isl,
            osl: opts.osl,
            max_bs,
            max_bs_source,
            seeds: opts.seeds,
            calibration: opts.calibration.clone(),
            conventions: Conventions::default(),
        },
        levels,
        methods,
        warnings,
        recommendation: Vec::new(),
        outputs,
    };
    c.recommendation = summary::recommendation(&c);
    Ok(c)
}

fn check_options(opts: &RealOptions) -> Result<()> {
    if opts.results.is_empty() {
        return Err(Error::usage(
            "--results",
            "expected at least one LABEL=DIR (a Dynamo profiling results folder)",
        ));
    }
    let mut seen = BTreeSet::new();
    for (label, _) in &opts.results {
        if label.trim().is_empty() {
            return Err(Error::usage("--results", "a label is empty: expected LABEL=DIR"));
        }
        if !seen.insert(label.as_str()) {
            return Err(Error::usage(
                "--results",
                format!("label `{label}` is given twice: each method needs its own label"),
            ));
        }
    }
    for (flag, v) in [("--ttft", opts.sla.ttft_ms), ("--itl", opts.sla.itl_ms)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::usage(flag, format!("expected a target > 0 ms, got {v}")));
        }
    }
    for (flag, v) in [("--isl", opts.isl), ("--osl", opts.osl)] {
        if v == 0 || v > crate::workload::MAX_TOKENS {
            return Err(Error::usage(
                flag,
                format!("expected 1..={} tokens, got {v}", crate::workload::MAX_TOKENS),
            ));
        }
    }
    for (flag, v) in [
        ("--max-bs", opts.max_bs),
        ("--prefill-tp", opts.prefill_tp),
        ("--decode-tp", opts.decode_tp),
    ] {
        if v == Some(0) {
            return Err(Error::usage(flag, "expected ≥ 1, got 0"));
        }
    }
    if opts.seeds == 0 || opts.seeds > 1000 {
        return Err(Error::usage(
            "--seeds",
            format!("expected 1..=1000 seeds, got {}", opts.seeds),
        ));
    }
    if let Some(c) = &opts.calibration {
        c.validate("--calibration")?;
    }
    Ok(())
}

/// MAX_BS by the largest decode TP among the methods: TP ≤ 2 → 8, TP ≤ 4 → 32, larger → 64
/// (the upper ends of the test plan's ranges: 8 for TP1/TP2, 16–32 for TP4, 32–64 for TP8).
pub fn default_max_bs(largest_decode_tp: u32) -> u32 {
    super::testbed::max_bs_rule(largest_decode_tp)
}

/// The standard levels for `max_bs`: idle = 1, then round(share × MAX_BS) for medium (0.5),
/// saturation (0.9) and overload (1.1), each at least one above the previous level.
pub fn rule_levels(max_bs: u32, requests: u64, isl: u32, osl: u32) -> Vec<Level> {
    let mut out: Vec<Level> = Vec::new();
    for ((name, share), (_, c)) in STANDARD_LEVELS.into_iter().zip(super::testbed::load_levels(max_bs)) {
        let raw = if share == 0.0 {
            1
        } else {
            (share * max_bs as f64).round().max(1.0) as u32
        };
        let source = if share == 0.0 {
            "rule: concurrency 1".to_string()
        } else if c == raw {
            format!("rule: round({share} × MAX_BS {max_bs})")
        } else {
            format!("rule: round({share} × MAX_BS {max_bs}) = {raw}, raised to {c} to stay above the previous level")
        };
        out.push(Level {
            name: name.to_string(),
            concurrency: c,
            requests,
            isl,
            osl,
            source,
        });
    }
    out
}

/// Position of a level name in the standard order (unknown names after the standard ones).
pub(crate) fn level_rank(name: &str) -> usize {
    STANDARD_LEVELS
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or(STANDARD_LEVELS.len())
}

/// The levels: the union (by name) of every folder's validation runs, first folder first, in
/// the standard order (other names after, by concurrency); else [`rule_levels`].
fn derive_levels(
    folders: &[Folder],
    max_bs: u32,
    opts: &RealOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Level>> {
    let mut levels: Vec<Level> = Vec::new();
    for f in folders {
        for v in &f.validation {
            let run = &v.run;
            let conc = match run.load {
                crate::calibrate::hwrun::RunLoad::Concurrency(c) => c,
                _ => {
                    return Err(Error::data(
                        &run.file,
                        "input_config.loadgen",
                        format!("is `{}`; expected a closed-loop concurrency run", run.load),
                    ))
                }
            };
            match levels.iter().find(|l| l.name == v.level) {
                None => levels.push(Level {
                    name: v.level.clone(),
                    concurrency: conc,
                    requests: run.requests,
                    isl: run.isl,
                    osl: run.osl,
                    source: format!(
                        "validation run of {} ({}/{}/{})",
                        f.label,
                        folder::VALIDATION_DIR,
                        v.level,
                        folder::AIPERF_EXPORT
                    ),
                }),
                Some(l) => {
                    if (l.concurrency, l.requests, l.isl, l.osl) != (conc, run.requests, run.isl, run.osl) {
                        warnings.push(format!(
                            "level `{}`: {}'s run ({}) uses concurrency {conc}, {} requests, ISL {}, OSL {}; the \
                             level is simulated as the first run found ({}): concurrency {}, {} requests, ISL {}, \
                             OSL {}",
                            v.level,
                            f.label,
                            run.file,
                            run.requests,
                            run.isl,
                            run.osl,
                            l.source,
                            l.concurrency,
                            l.requests,
                            l.isl,
                            l.osl
                        ));
                    }
                }
            }
        }
    }
    if levels.is_empty() {
        return Ok(rule_levels(max_bs, DEFAULT_REQUESTS, opts.isl, opts.osl));
    }
    levels.sort_by(|a, b| {
        level_rank(&a.name)
            .cmp(&level_rank(&b.name))
            .then(a.concurrency.cmp(&b.concurrency))
            .then(a.name.cmp(&b.name))
    });
    let missing: Vec<&str> = STANDARD_LEVELS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !levels.iter().any(|l| l.name == *n))
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "the validation runs cover no `{}` level; only the levels they cover are compared",
            missing.join("`, `")
        ));
    }
    if levels.iter().any(|l| (l.isl, l.osl) != (opts.isl, opts.osl)) {
        warnings.push(format!(
            "the validation runs' ISL/OSL ({}) differ from --isl {} / --osl {}; each level is simulated with its run's",
            levels
                .iter()
                .map(|l| format!("{} {}/{}", l.name, l.isl, l.osl))
                .collect::<Vec<_>>()
                .join(", "),
            opts.isl,
            opts.osl
        ));
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_bs_rule() {
        assert_eq!(default_max_bs(1), 8);
        assert_eq!(default_max_bs(2), 8);
        assert_eq!(default_max_bs(4), 32);
        assert_eq!(default_max_bs(8), 64);
        assert_eq!(default_max_bs(16), 64);
    }

    #[test]
    fn rule_levels_for_tp2() {
        let l = rule_levels(8, 100, 2048, 256);
        let c: Vec<u32> = l.iter().map(|l| l.concurrency).collect();
        assert_eq!(c, [1, 4, 7, 9]);
        let names: Vec<&str> = l.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["idle", "medium", "saturation", "overload"]);
        assert!(l.iter().all(|l| l.requests == 100 && l.isl == 2048 && l.osl == 256));
        let c: Vec<u32> = rule_levels(32, 100, 1, 1).iter().map(|l| l.concurrency).collect();
        assert_eq!(c, [1, 16, 29, 35]);
        let c: Vec<u32> = rule_levels(64, 100, 1, 1).iter().map(|l| l.concurrency).collect();
        assert_eq!(c, [1, 32, 58, 70]);
    }

    #[test]
    fn rule_levels_stay_increasing_for_tiny_batches() {
        for bs in 1..=4 {
            let c: Vec<u32> = rule_levels(bs, 10, 1, 1).iter().map(|l| l.concurrency).collect();
            assert!(c[0] == 1 && c.windows(2).all(|w| w[1] > w[0]), "{bs}: {c:?}");
        }
        let l = rule_levels(1, 10, 1, 1);
        assert!(l[1].source.contains("raised"), "{}", l[1].source);
    }

    #[test]
    fn signed_error() {
        assert_eq!(error_pct(110.0, 100.0), Some(10.0));
        assert_eq!(error_pct(50.0, 100.0), Some(-50.0));
        assert_eq!(error_pct(5.0, 0.0), None);
    }

    #[test]
    fn option_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = RealOptions::new(vec![], dir.path().join("out"));
        assert!(matches!(compare(&o), Err(Error::Usage { .. })));
        o.results = vec![("a".into(), dir.path().into()), ("a".into(), dir.path().into())];
        let e = compare(&o).unwrap_err().to_string();
        assert!(e.contains("`a` is given twice"), "{e}");
        o.results = vec![("a".into(), dir.path().into())];
        o.seeds = 0;
        assert!(compare(&o).unwrap_err().to_string().starts_with("--seeds"));
        o.seeds = 1;
        o.sla.ttft_ms = 0.0;
        assert!(compare(&o).unwrap_err().to_string().starts_with("--ttft"));
    }
}
