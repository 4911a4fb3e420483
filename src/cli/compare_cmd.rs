//! `slasim compare-methods`: compare profiling methods — real results folders (mode 1) or an
//! offline study on a testbed (mode 2). See [`crate::methods`].

use super::args::SlaFlags;
use crate::error::{Error, Result};
use crate::methods::real::{self, RealOptions};
use crate::methods::study::{self, Criteria, StudyOptions};
use crate::methods::testbed::{CostModel, NoiseModel, TestbedSpec};
use crate::methods::MethodParams;
use crate::sim::calibration::Calibration;
use crate::workload::ArrivalPattern;
use clap::Args;
use std::path::PathBuf;

/// Default method list of a study.
pub const DEFAULT_METHODS: &str = "aic-all,online-all,stack-rank,bayes,stack-rank+bayes,random";

/// `slasim compare-methods`
#[derive(Debug, Args)]
#[command(after_help = "\
Mode 1, real results: each --results LABEL=DIR is a Dynamo profiling results folder (profile \
npz/JSON, optional validation/{idle,medium,saturation,overload}/profile_export_aiperf.json, \
optional profile_sla.log, config_with_planner.yaml or profile_meta.json). Pattern (your folders):
  slasim compare-methods --results aic_all=DIR --results online_all=DIR \\
    --ttft 500 --itl 50 --isl 2048 --osl 256 --out cmp

Mode 2, offline study: a testbed profile gives ground truth (measured engines; analytic + seeded \
model error where not measured); each method is charged for what it deploys.

Outputs in --out DIR: comparison_results.json, summary.txt and PNG+SVG plots. While a run \
produces the folder it holds a file INCOMPLETE, removed after the last output is written: a \
folder with INCOMPLETE in it is from a run that was killed or failed, not a result. error % = \
(predicted − actual) / actual × 100; regret % = (best − chosen) / best × 100 over every \
configuration. Exit 0 on success (the criteria are reported, not enforced), 2 on bad input.

Examples:
  slasim compare-methods --testbed llama-3.3-70b-fp8/h100/vllm \\
    --out study --seeds 5")]
pub struct CompareArgs {
    /// Mode 1: a profiling results folder as LABEL=DIR (repeat; labels starting with `aic` are
    /// static estimates unless profile_meta.json says otherwise).
    #[arg(
        long,
        value_name = "LABEL=DIR",
        conflicts_with = "testbed",
        required_unless_present = "testbed"
    )]
    pub results: Vec<String>,
    /// Mode 2: the testbed profile (shipped name or path), e.g. llama-3.3-70b-fp8/h100/vllm.
    #[arg(long, value_name = "PROFILE")]
    pub testbed: Option<String>,
    /// Output folder (created).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// SLA targets.
    #[command(flatten)]
    pub sla: SlaFlags,
    /// Input length, tokens.
    #[arg(long, default_value_t = 2048, value_parser = super::args::count)]
    pub isl: u32,
    /// Output length, tokens.
    #[arg(long, default_value_t = 256, value_parser = super::args::count)]
    pub osl: u32,
    /// MAX_BS of the load levels (idle 1, medium ½, saturation 0.9, overload 1.1 × MAX_BS)
    /// and batch cap (default: 8 for decode TP ≤ 2, 32 for TP4, 64 for TP8).
    #[arg(long, value_name = "N", value_parser = super::args::count)]
    pub max_bs: Option<u32>,
    /// Seeds: mode 1 averages each simulated level over them; mode 2 runs every method in that
    /// many worlds.
    #[arg(long, default_value_t = 3)]
    pub seeds: u32,
    /// Do not write the plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Mode 1: prefill TP when a folder does not say.
    #[arg(long, conflicts_with = "testbed", help_heading = "Mode 1 (real results)")]
    pub prefill_tp: Option<u32>,
    /// Mode 1: decode TP when a folder does not say.
    #[arg(long, conflicts_with = "testbed", help_heading = "Mode 1 (real results)")]
    pub decode_tp: Option<u32>,
    /// Mode 1: calibration applied to every method's predictions (default: none, the raw
    /// profile — what the method itself predicts).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "testbed",
        help_heading = "Mode 1 (real results)"
    )]
    pub calibration: Option<PathBuf>,
    /// Mode 2: methods, comma-separated: aic-all, online-all, stack-rank, bayes,
    /// stack-rank+bayes, random (online-all is always run: it is the baseline).
    #[arg(long, default_value = DEFAULT_METHODS, conflicts_with = "results", help_heading = "Mode 2 (testbed study)")]
    pub methods: String,
    /// Mode 2: configurations stack-rank deploys (old spelling: --top, which in sweep/merge
    /// means table rows).
    #[arg(
        long,
        default_value_t = 1,
        value_name = "K",
        alias = "top",
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub deploy_top: usize,
    /// Mode 2: deployments of bayes, stack-rank+bayes and random.
    #[arg(
        long,
        default_value_t = 4,
        value_name = "B",
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub budget: usize,
    /// Mode 2: TPs of the space, comma-separated (default: the testbed's measured TPs).
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub tp: Option<Vec<u32>>,
    /// Mode 2: serving modes of the space: disaggregated prefill/decode pairs and/or
    /// aggregated engines.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "disagg,agg",
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub mode: Vec<crate::sim::deployment::Mode>,
    /// Mode 2: the realistic load MIN:MAX:PERIOD_S (req/s, s), run for one period.
    #[arg(
        long,
        default_value = "5:45:1800",
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub sinusoid: String,
    /// Mode 2: share of requests that must meet the SLA when right-sizing.
    #[arg(
        long,
        default_value_t = 0.9,
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub sla_quantile: f64,
    /// Mode 2: requests per load-level simulation.
    #[arg(
        long,
        default_value_t = 200,
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub level_requests: u64,
    /// Mode 2: relative σ of reality around the simulated truth.
    #[arg(
        long,
        default_value_t = 0.03,
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub world_noise: f64,
    /// Mode 2: relative σ of each measured profile point.
    #[arg(
        long,
        default_value_t = 0.03,
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub measurement_noise: f64,
    /// Mode 2: log-normal σ of the model error of analytic ground truth.
    #[arg(
        long,
        default_value_t = 0.15,
        conflicts_with = "results",
        help_heading = "Mode 2 (testbed study)"
    )]
    pub model_error: f64,
}

fn parse_results(v: &[String]) -> Result<Vec<(String, PathBuf)>> {
    v.iter()
        .map(|s| match s.split_once('=') {
            Some((l, d)) if !l.trim().is_empty() && !d.trim().is_empty() => {
                Ok((l.trim().to_string(), PathBuf::from(d)))
            }
            _ => Err(Error::usage("--results", format!("expected LABEL=DIR, got `{s}`"))),
        })
        .collect()
}

/// Runs `compare-methods`.
pub fn run(a: CompareArgs) -> Result<i32> {
    let sla = a.sla.sla()?;
    for (flag, v) in [("--isl", a.isl), ("--osl", a.osl)] {
        if v == 0 {
            return Err(Error::usage(flag, "expected ≥ 1 token"));
        }
    }
    if a.max_bs == Some(0) {
        return Err(Error::usage("--max-bs", "expected ≥ 1"));
    }
    if let Some(tb) = a.testbed {
        let realistic = ArrivalPattern::parse_sinusoid(&a.sinusoid)?;
        let period = match realistic {
            ArrivalPattern::Sinusoid { period_s, .. } => period_s,
            _ => 1800.0,
        };
        let opts = StudyOptions {
            testbed: TestbedSpec {
                profile: tb,
                tps: a.tp,
                modes: a.mode,
                isl: a.isl,
                osl: a.osl,
                sla,
                quantile: a.sla_quantile,
                realistic,
                realistic_s: period,
                max_bs: a.max_bs,
                level_requests: a.level_requests.max(1),
                noise: NoiseModel {
                    world_noise: a.world_noise,
                    measurement_noise: a.measurement_noise,
                    model_error: a.model_error,
                },
                cost: CostModel::default(),
            },
            methods: a.methods,
            params: MethodParams {
                top: a.deploy_top,
                budget: a.budget,
            },
            seeds: a.seeds,
            out: a.out.clone(),
            plots: !a.no_plots,
            criteria: Criteria::default(),
        };
        let r = study::run(&opts)?;
        print!("{}", study::summary_text(&r));
        eprintln!("wrote {}", a.out.display());
        return Ok(0);
    }
    let calibration = a.calibration.as_deref().map(Calibration::load).transpose()?;
    let opts = RealOptions {
        results: parse_results(&a.results)?,
        sla,
        isl: a.isl,
        osl: a.osl,
        max_bs: a.max_bs,
        prefill_tp: a.prefill_tp,
        decode_tp: a.decode_tp,
        calibration,
        seeds: a.seeds.max(1),
        out: a.out.clone(),
        plots: !a.no_plots,
    };
    let r = real::run(&opts)?;
    print!("{}", real::summary_text(&r));
    eprintln!("wrote {}", a.out.display());
    Ok(0)
}
