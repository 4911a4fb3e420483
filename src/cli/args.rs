//! Flag groups shared by every command that simulates (`simulate`, `bench`, later `calibrate`,
//! `sweep`): deployment, workload, SLA.

use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::profile::step_model::StepModelKind;
use crate::profile::{self, Profile};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{Deployment, DeploymentOptions, FileKeys, FirstToken, Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use crate::workload::{self, ArrivalPattern, LengthDist, LengthModel, LoadSpec, WorkloadSpec};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;

/// The embedded default deployment: the Dynamo comparison test case as AIC recommended it.
pub const DEFAULT_DEPLOYMENT_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/calibration/deployments/qwen3-32b-h200-trtllm-aic.toml"
));

/// Deployment flags (override `--deployment FILE.toml`).
#[derive(Debug, Clone, Args, Default)]
pub struct DeploymentFlags {
    /// Profile: a shipped name (`slasim profile list`) or a path (profiler dir, pre-swept npz,
    /// ConfigMap JSON, mocker npz). Default: the embedded default deployment's profile
    /// (qwen3-32b/h200/trtllm-aic).
    #[arg(long, help_heading = "Deployment")]
    pub profile: Option<String>,
    /// Deployment TOML file (schema in README and calibration/deployments/); flags override it.
    #[arg(long, value_name = "FILE.toml", help_heading = "Deployment")]
    pub deployment: Option<PathBuf>,
    /// Serving mode (default: disagg for profiles with separate prefill/decode engines, else agg).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub mode: Option<Mode>,
    /// Agg: engine tensor-parallel size (GPUs per replica).
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub tp: Option<u32>,
    /// Disagg: prefill worker TP.
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub prefill_tp: Option<u32>,
    /// Disagg: decode worker TP.
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub decode_tp: Option<u32>,
    /// Disagg: number of prefill workers.
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub prefill_workers: Option<u32>,
    /// Disagg: number of decode workers.
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub decode_workers: Option<u32>,
    /// Agg: number of replicas.
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub replicas: Option<u32>,
    /// Batch-size cap per engine (default 256; the embedded default deployment uses 8).
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub max_num_seqs: Option<u32>,
    /// Token budget per engine iteration (default 8192).
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub max_batched_tokens: Option<u32>,
    /// KV-cache block size, tokens (default 16).
    #[arg(long, value_parser = count, help_heading = "Deployment")]
    pub block_size: Option<u32>,
    /// Replica scheduler (default vllm).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub scheduler: Option<SchedulerKind>,
    /// Router policy across workers (default least-loaded).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub router: Option<RouterPolicy>,
    /// Override the agg/decode engine's KV capacity, tokens.
    #[arg(long, value_name = "TOKENS", value_parser = count_u64, help_heading = "Deployment")]
    pub kv_capacity: Option<u64>,
    /// Disable chunked prefill (vllm scheduler): whole prompts only.
    #[arg(long, help_heading = "Deployment")]
    pub no_chunked_prefill: bool,
    /// Calibration parameters JSON (see calibration/).
    #[arg(long, value_name = "FILE", help_heading = "Deployment")]
    pub calibration: Option<PathBuf>,
    /// Step-time model: composed (one fixed cost per iteration plus marginal prefill and
    /// decode costs; default) or sum (prefill curve + decode surface, the earlier rule).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub step_model: Option<StepModelKind>,
    /// Disagg: where the first token comes from: decode (Dynamo: after prefill and KV
    /// transfer, from the decode worker's first step; default) or prefill (returned by the
    /// prefill worker at prefill end, as a vLLM P/D proxy does).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub first_token: Option<FirstToken>,
    /// Turn automatic prefix caching off (it is on by default on agg engines and prefill
    /// workers, vLLM semantics, and acts on workloads that name their content: Mooncake traces,
    /// --prefix-groups, --sessions).
    #[arg(long, help_heading = "Deployment")]
    pub no_prefix_cache: bool,
    /// `--router kv`: weight of the new prefill blocks in a worker's cost, against its active KV
    /// blocks (Dynamo's kv_overlap_score_weight; default 1.0).
    #[arg(long, value_name = "W", help_heading = "Deployment")]
    pub kv_overlap_weight: Option<f64>,
    /// `--router kv`: softmax temperature over the workers' normalised costs (default 0: the
    /// lowest cost wins; ties go to the lowest index).
    #[arg(long, value_name = "T", help_heading = "Deployment")]
    pub router_temperature: Option<f64>,
}

impl DeploymentFlags {
    fn options(&self) -> DeploymentOptions {
        DeploymentOptions {
            profile: self.profile.clone(),
            mode: self.mode,
            tp: self.tp,
            prefill_tp: self.prefill_tp,
            decode_tp: self.decode_tp,
            replicas: self.replicas,
            prefill_workers: self.prefill_workers,
            decode_workers: self.decode_workers,
            max_num_seqs: self.max_num_seqs,
            max_batched_tokens: self.max_batched_tokens,
            block_size: self.block_size,
            chunked_prefill: if self.no_chunked_prefill { Some(false) } else { None },
            scheduler: self.scheduler,
            router: self.router,
            kv_capacity_tokens: self.kv_capacity,
            prefill_kv_capacity_tokens: None,
            step_model: self.step_model,
            first_token: self.first_token,
            prefix_cache: if self.no_prefix_cache { Some(false) } else { None },
            kv_overlap_weight: self.kv_overlap_weight,
            router_temperature: self.router_temperature,
        }
    }

    /// True when nothing selects a deployment, so the embedded default applies.
    pub fn is_default(&self) -> bool {
        self.profile.is_none() && self.deployment.is_none()
    }

    /// Resolves the profile and builds the deployment.
    pub fn resolve(&self) -> Result<(Profile, Deployment)> {
        let flags = self.options();
        let (base, keys) = match &self.deployment {
            Some(p) => {
                let o = DeploymentOptions::load(p)?;
                let keys = FileKeys::new(&p.display().to_string(), &o, &flags);
                (o, keys)
            }
            None if self.profile.is_none() => (
                toml::from_str(DEFAULT_DEPLOYMENT_TOML)
                    .map_err(|e| Error::toml("embedded default deployment", DEFAULT_DEPLOYMENT_TOML, &e))?,
                FileKeys::default(),
            ),
            None => (DeploymentOptions::default(), FileKeys::default()),
        };
        let opts = base.overridden_by(&flags);
        let name = opts.profile.clone().ok_or_else(|| {
            Error::usage(
                "--profile",
                "no profile: give --profile NAME|PATH or a deployment file with `profile = …`",
            )
        })?;
        let prof = profile::resolve(&name).map_err(|e| keys.attribute(e))?;
        let dep = opts.build(&prof).map_err(|e| keys.attribute(e))?;
        Ok((prof, dep))
    }

    /// The calibration parameters (neutral without `--calibration`).
    pub fn calibration(&self) -> Result<Calibration> {
        match &self.calibration {
            Some(p) => Calibration::load(p),
            None => Ok(Calibration::default()),
        }
    }
}

/// Inter-arrival distribution of open-loop load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ArrivalKind {
    /// Exponential gaps.
    #[default]
    Poisson,
    /// Gamma gaps with `--cv`.
    Gamma,
    /// Equal gaps.
    Constant,
}

/// Workload flags.
#[derive(Debug, Clone, Args, Default)]
pub struct WorkloadFlags {
    /// Closed loop: N requests in flight, a new one sent the instant one finishes (AIPerf
    /// `--concurrency`). Repeat (or comma-separate) to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        help_heading = "Workload"
    )]
    pub concurrency: Vec<i64>,
    /// Open loop: mean request rate, req/s. Repeat (or comma-separate) to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        help_heading = "Workload"
    )]
    pub rps: Vec<f64>,
    /// Inter-arrival distribution for --rps [default: poisson].
    #[arg(long, value_enum, help_heading = "Workload")]
    pub arrival: Option<ArrivalKind>,
    /// Coefficient of variation of the gaps of `--arrival gamma` (1 = Poisson) [default: 1].
    #[arg(long, help_heading = "Workload")]
    pub cv: Option<f64>,
    /// Time-varying Poisson rate between MIN and MAX req/s over PERIOD_S seconds
    /// (rate(t) = MIN + (MAX−MIN)(1−cos 2πt/PERIOD)/2).
    #[arg(long, value_name = "MIN:MAX:PERIOD_S", help_heading = "Workload")]
    pub sinusoid: Option<String>,
    /// Piecewise-constant rate schedule: CSV with header `start_s,rps`.
    #[arg(long, value_name = "FILE.csv", help_heading = "Workload")]
    pub rate_file: Option<PathBuf>,
    /// Request trace: a shipped name (splitwise_conv, splitwise_code) or a Vidur/Splitwise CSV
    /// (`arrived_at`, `num_prefill_tokens`, `num_decode_tokens`). Replays its arrival times
    /// unless --rps/--concurrency/--sinusoid give the arrivals; lengths come from the trace.
    #[arg(long, value_name = "NAME|FILE", help_heading = "Workload")]
    pub trace: Option<String>,
    /// Trace replay time compression: 2 replays the trace's arrival times twice as fast
    /// [default: 1].
    #[arg(long, help_heading = "Workload")]
    pub trace_rate_scale: Option<f64>,
    /// Prompt length: N, or uniform:MIN:MAX, normal:MEAN:STD, lognormal:MEAN:STD, zipf:MAX:EXP.
    #[arg(long, default_value = "2048", help_heading = "Workload")]
    pub isl: String,
    /// Output length (≥ 1), same syntax as --isl.
    #[arg(long, default_value = "256", help_heading = "Workload")]
    pub osl: String,
    /// Requests per run (default 100 for --concurrency, the trace length for a trace replay,
    /// 1000 otherwise unless --duration is given).
    #[arg(long, allow_negative_numbers = true, help_heading = "Workload")]
    pub requests: Option<i64>,
    /// Open loop (--rps, --sinusoid, --rate-file, trace replay): stop arrivals after this many
    /// seconds (≤ 10^7 s, the simulation horizon).
    #[arg(long, value_name = "SECONDS", help_heading = "Workload")]
    pub duration: Option<f64>,
    /// Random seed (arrivals and lengths use separate streams derived from it).
    #[arg(long, default_value_t = 1, help_heading = "Workload")]
    pub seed: u64,
    /// Warm-up requests (AIPerf --warmup-request-count): sent first, through the same load, and
    /// left out of every metric; --requests counts the measured ones.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Workload")]
    pub warmup_requests: u64,
}

impl WorkloadFlags {
    /// Rejects flags that would be silently ignored by the chosen load (exit 2, naming both
    /// flags): `--arrival` without `--rps`; `--cv` without `--arrival gamma`;
    /// `--trace-rate-scale` unless a trace's arrival times are replayed; `--duration` with only
    /// closed-loop load (`--concurrency` runs stop after `--requests`).
    fn check_applicable(&self) -> Result<()> {
        if self.arrival.is_some() && self.rps.is_empty() {
            return Err(Error::usage(
                "--arrival",
                "sets the gaps between --rps arrivals; give --rps R (the other loads have their own arrival process)",
            ));
        }
        if self.cv.is_some() && self.arrival != Some(ArrivalKind::Gamma) {
            return Err(Error::usage(
                "--cv",
                format!(
                    "applies only to --arrival gamma (the arrivals here are {}); add --arrival gamma or drop --cv",
                    match (self.arrival, self.rps.is_empty()) {
                        (Some(ArrivalKind::Constant), _) => "--arrival constant",
                        (_, false) => "--arrival poisson, the default",
                        (_, true) => "not given by --rps",
                    }
                ),
            ));
        }
        let other_arrivals =
            !self.concurrency.is_empty() || !self.rps.is_empty() || self.sinusoid.is_some() || self.rate_file.is_some();
        if self.trace_rate_scale.is_some() {
            if self.trace.is_none() {
                return Err(Error::usage(
                    "--trace-rate-scale",
                    "speeds up a replayed trace: it needs --trace NAME|FILE",
                ));
            }
            if other_arrivals {
                return Err(Error::usage(
                    "--trace-rate-scale",
                    "applies when --trace's arrival times are replayed, but --concurrency/--rps/--sinusoid/--rate-file \
                     give the arrivals here (the trace gives only lengths)",
                ));
            }
        }
        let open_loop = !self.rps.is_empty()
            || self.sinusoid.is_some()
            || self.rate_file.is_some()
            || (self.trace.is_some() && !other_arrivals);
        if self.duration.is_some() && !open_loop {
            return Err(Error::usage(
                "--duration",
                "applies to open-loop load (--rps, --sinusoid, --rate-file, trace replay); --concurrency runs stop \
                 after --requests",
            ));
        }
        Ok(())
    }
}

/// Default closed-loop levels of the embedded default (the Dynamo comparison's AIPerf levels).
pub const DEFAULT_CONCURRENCY: [u32; 4] = [1, 4, 7, 9];

impl WorkloadFlags {
    /// True when no flag chose the load or lengths (the embedded default workload applies).
    pub fn is_default_load(&self) -> bool {
        self.concurrency.is_empty()
            && self.rps.is_empty()
            && self.sinusoid.is_none()
            && self.rate_file.is_none()
            && self.trace.is_none()
            && self.isl == "2048"
            && self.osl == "256"
            && self.requests.is_none()
            && self.duration.is_none()
            && self.warmup_requests == 0
    }

    /// The workloads to run: one per --concurrency / --rps value (or one for a sinusoid, rate
    /// file or trace; or the default concurrency levels when no load is given).
    pub fn workloads(&self) -> Result<Vec<WorkloadSpec>> {
        self.check_applicable()?;
        let trace = match &self.trace {
            Some(t) => Some(Arc::new(workload::resolve_trace(t)?)),
            None => None,
        };
        let lengths = if trace.is_some() {
            LengthModel::Trace
        } else {
            LengthModel::Dist {
                isl: LengthDist::parse("--isl", &self.isl)?,
                osl: LengthDist::parse("--osl", &self.osl)?,
            }
        };
        let requests = match self.requests {
            Some(n) if n < 1 => return Err(Error::usage("--requests", format!("must be ≥ 1, got {n}"))),
            Some(n) => Some(n as u64),
            None => None,
        };
        let mut loads: Vec<LoadSpec> = Vec::new();
        for &c in &self.concurrency {
            if !(1..=1_000_000).contains(&c) {
                return Err(Error::usage(
                    "--concurrency",
                    format!("must be between 1 and 1000000, got {c}"),
                ));
            }
            loads.push(LoadSpec::Concurrency(c as u32));
        }
        for &r in &self.rps {
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::usage(
                    "--rps",
                    format!("must be a positive rate in req/s, got {r}"),
                ));
            }
            loads.push(LoadSpec::OpenLoop(match self.arrival.unwrap_or_default() {
                ArrivalKind::Poisson => ArrivalPattern::Poisson { rps: r },
                ArrivalKind::Gamma => ArrivalPattern::Gamma {
                    rps: r,
                    cv: self.cv.unwrap_or(1.0),
                },
                ArrivalKind::Constant => ArrivalPattern::Constant { rps: r },
            }));
        }
        if let Some(s) = &self.sinusoid {
            loads.push(LoadSpec::OpenLoop(ArrivalPattern::parse_sinusoid(s)?));
        }
        if let Some(p) = &self.rate_file {
            loads.push(LoadSpec::OpenLoop(ArrivalPattern::Piecewise {
                steps: workload::load_rate_schedule(p)?,
            }));
        }
        if loads.is_empty() {
            match &trace {
                Some(t) if t.has_arrivals() => loads.push(LoadSpec::OpenLoop(ArrivalPattern::Trace)),
                Some(_) => return Err(Error::usage(
                    "--trace",
                    "the trace has no `arrived_at` column; give the arrivals with --rps, --concurrency or --sinusoid",
                )),
                None => loads.extend(DEFAULT_CONCURRENCY.iter().map(|&c| LoadSpec::Concurrency(c))),
            }
        }
        let mut out = Vec::new();
        for load in loads {
            let requests = match (&load, requests) {
                (_, Some(n)) => Some(n),
                (LoadSpec::Concurrency(_), None) if trace.is_none() => Some(100),
                (LoadSpec::OpenLoop(ArrivalPattern::Trace), None) => None,
                (_, None) if trace.is_some() => Some(trace.as_ref().map(|t| t.rows.len() as u64).unwrap_or(1)),
                (_, None) if self.duration.is_some() => None,
                (_, None) => Some(1000),
            };
            let w = WorkloadSpec {
                load,
                requests,
                duration_s: self.duration,
                lengths: lengths.clone(),
                trace: trace.clone(),
                trace_rate_scale: self.trace_rate_scale.unwrap_or(1.0),
                seed: self.seed,
                warmup_requests: self.warmup_requests,
            };
            w.validate()?;
            out.push(w);
        }
        Ok(out)
    }
}

/// SLA flags.
#[derive(Debug, Clone, Copy, Args)]
pub struct SlaFlags {
    /// TTFT target, ms (goodput counts requests meeting both targets).
    #[arg(long, default_value_t = 500.0, help_heading = "SLA")]
    pub ttft: f64,
    /// ITL (TPOT) target, ms.
    #[arg(long, default_value_t = 50.0, help_heading = "SLA")]
    pub itl: f64,
}

impl SlaFlags {
    /// The validated SLA.
    pub fn sla(&self) -> Result<Sla> {
        for (flag, v) in [("--ttft", self.ttft), ("--itl", self.itl)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::usage(flag, format!("must be a positive time in ms, got {v}")));
            }
        }
        Ok(Sla {
            ttft_ms: self.ttft,
            itl_ms: self.itl,
        })
    }
}

/// Parses a count flag (`--tp`, `--replicas`, …): a whole number ≥ 1.
pub fn count(s: &str) -> std::result::Result<u32, String> {
    match s.trim().parse::<i64>() {
        Ok(v) if (1..=i64::from(u32::MAX)).contains(&v) => Ok(v as u32),
        Ok(v) if v < 1 => Err(format!("expected a whole number ≥ 1, got {v}")),
        Ok(v) => Err(format!("expected a whole number ≥ 1 and ≤ {}, got {v}", u32::MAX)),
        Err(_) => Err(format!("expected a whole number ≥ 1, got \"{s}\"")),
    }
}

/// Parses a 64-bit count flag (`--kv-capacity`): a whole number ≥ 1.
pub fn count_u64(s: &str) -> std::result::Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if (1..=i128::from(u64::MAX)).contains(&v) => Ok(v as u64),
        Ok(v) => Err(format!("expected a whole number ≥ 1, got {v}")),
        Err(_) => Err(format!("expected a whole number ≥ 1, got \"{s}\"")),
    }
}

/// Where a `--json` output goes. The convention of every command: `--json FILE` writes FILE
/// (atomically: temp file + rename); `--json` alone, or `--json -`, prints to stdout (and then
/// nothing else goes to stdout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonOut {
    /// Print to standard output.
    Stdout,
    /// Write this file.
    File(PathBuf),
}

impl JsonOut {
    /// Whether the JSON goes to stdout (so the human-readable text must not).
    pub fn is_stdout(&self) -> bool {
        matches!(self, JsonOut::Stdout)
    }

    /// The file, when the JSON goes to one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            JsonOut::File(p) => Some(p),
            JsonOut::Stdout => None,
        }
    }

    /// Writes `v` as pretty JSON (2-space indent, trailing newline) to stdout or the file.
    pub fn write<T: serde::Serialize>(&self, v: &T) -> Result<()> {
        match self {
            JsonOut::File(p) => crate::output::write_json(p, v),
            JsonOut::Stdout => {
                let s =
                    serde_json::to_string_pretty(v).map_err(|e| Error::data("(stdout)", "(json)", e.to_string()))?;
                println!("{s}");
                Ok(())
            }
        }
    }

    /// Writes already formatted JSON text (ending in a newline) to stdout or the file.
    pub fn write_text(&self, text: &str) -> Result<()> {
        match self {
            JsonOut::File(p) => crate::output::write_atomic(p, text.as_bytes()),
            JsonOut::Stdout => {
                print!("{text}");
                Ok(())
            }
        }
    }
}

/// Parses the value of `--json`: `-` is stdout, anything else a file path.
pub fn json_out(s: &str) -> std::result::Result<JsonOut, String> {
    match s {
        "-" => Ok(JsonOut::Stdout),
        "" => Err("expected a file name, or `-` (or nothing) for stdout".into()),
        p => Ok(JsonOut::File(PathBuf::from(p))),
    }
}

/// Whether a `--json` output (if any) goes to stdout.
pub fn json_to_stdout(j: &Option<JsonOut>) -> bool {
    j.as_ref().is_some_and(JsonOut::is_stdout)
}

/// Prints a deprecation note for an old flag spelling that still works for this release.
pub fn deprecated(old: &str, new: &str) {
    eprintln!("warning: {old} is deprecated here and will be removed in the next release; use {new}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_flags_say_expected_at_least_one() {
        assert_eq!(count("4"), Ok(4));
        assert!(count("-1").unwrap_err().contains("expected a whole number ≥ 1, got -1"));
        assert!(count("0").unwrap_err().contains("≥ 1"));
        assert!(count("x").unwrap_err().contains("\"x\""));
        assert!(count_u64("-5").unwrap_err().contains("≥ 1"));
    }

    #[test]
    fn json_values() {
        assert_eq!(json_out("-"), Ok(JsonOut::Stdout));
        assert_eq!(json_out("a.json"), Ok(JsonOut::File(PathBuf::from("a.json"))));
        assert!(json_out("").is_err());
    }

    fn flags() -> WorkloadFlags {
        WorkloadFlags {
            isl: "2048".into(),
            osl: "256".into(),
            seed: 1,
            ..Default::default()
        }
    }

    #[test]
    fn flags_that_do_not_apply_are_errors() {
        let e = |w: WorkloadFlags| w.workloads().unwrap_err().to_string();
        let mut w = flags();
        w.cv = Some(2.0);
        w.rps = vec![1.0];
        let m = e(w);
        assert!(m.starts_with("--cv: ") && m.contains("--arrival gamma"), "{m}");
        let mut w = flags();
        w.trace_rate_scale = Some(2.0);
        let m = e(w);
        assert!(m.starts_with("--trace-rate-scale: ") && m.contains("--trace"), "{m}");
        let mut w = flags();
        w.trace = Some("splitwise_conv".into());
        w.trace_rate_scale = Some(2.0);
        w.rps = vec![1.0];
        let m = e(w);
        assert!(m.starts_with("--trace-rate-scale: ") && m.contains("--rps"), "{m}");
        let mut w = flags();
        w.arrival = Some(ArrivalKind::Gamma);
        w.concurrency = vec![2];
        let m = e(w);
        assert!(m.starts_with("--arrival: ") && m.contains("--rps"), "{m}");
        let mut w = flags();
        w.duration = Some(10.0);
        w.concurrency = vec![2];
        let m = e(w);
        assert!(m.starts_with("--duration: ") && m.contains("--concurrency"), "{m}");
        // the applicable combinations still work
        let mut w = flags();
        w.arrival = Some(ArrivalKind::Gamma);
        w.cv = Some(2.0);
        w.rps = vec![1.0];
        w.requests = Some(10);
        assert!(w.workloads().is_ok());
        let mut w = flags();
        w.trace = Some("splitwise_conv".into());
        w.trace_rate_scale = Some(2.0);
        w.requests = Some(10);
        assert!(w.workloads().is_ok());
    }
}
