//! Flag groups shared by every command that simulates (`simulate`, `bench`, later `calibrate`,
//! `sweep`): deployment, workload (in `workload_flags.rs`, re-exported here), SLA.

use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::profile::step_model::StepModelKind;
use crate::profile::{self, Profile};
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{Deployment, DeploymentOptions, FileKeys, FirstToken, Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use clap::Args;

pub use super::workload_flags::{ArrivalKind, WorkloadFlags, DEFAULT_CONCURRENCY};
use std::path::PathBuf;

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
    /// Deployment settings given as data instead of a file (the Python package's
    /// `deployment={...}`), in the deployment file's schema; flags override them. Not a flag.
    #[arg(skip)]
    pub inline_deployment: Option<DeploymentOptions>,
    /// Calibration parameters given as data instead of `--calibration FILE`. Not a flag.
    #[arg(skip)]
    pub inline_calibration: Option<Calibration>,
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
        self.profile.is_none() && self.deployment.is_none() && self.inline_deployment.is_none()
    }

    /// Resolves the profile and builds the deployment.
    pub fn resolve(&self) -> Result<(Profile, Deployment)> {
        let (opts, keys, name) = self.layered_options()?;
        let prof = profile::resolve(&name).map_err(|e| keys.attribute(e))?;
        let dep = opts.build(&prof).map_err(|e| keys.attribute(e))?;
        Ok((prof, dep))
    }

    /// The deployment settings as layered (file or inline data, overridden by flags), which
    /// of them came from the file, and the profile they name.
    pub fn layered_options(&self) -> Result<(DeploymentOptions, FileKeys, String)> {
        let flags = self.options();
        let (base, keys) = match (&self.deployment, &self.inline_deployment) {
            (Some(_), Some(_)) => {
                return Err(Error::usage(
                    "deployment",
                    "give a deployment file or deployment data, not both",
                ))
            }
            (None, Some(o)) => (o.clone(), FileKeys::new("deployment", o, &flags)),
            (Some(p), None) => {
                let o = DeploymentOptions::load(p)?;
                let keys = FileKeys::new(&p.display().to_string(), &o, &flags);
                (o, keys)
            }
            (None, None) if self.profile.is_none() => (
                toml::from_str(DEFAULT_DEPLOYMENT_TOML)
                    .map_err(|e| Error::toml("embedded default deployment", DEFAULT_DEPLOYMENT_TOML, &e))?,
                FileKeys::default(),
            ),
            (None, None) => (DeploymentOptions::default(), FileKeys::default()),
        };
        let opts = base.overridden_by(&flags);
        let name = opts.profile.clone().ok_or_else(|| {
            Error::usage(
                "--profile",
                "no profile: give --profile NAME|PATH or a deployment file with `profile = …`",
            )
        })?;
        Ok((opts, keys, name))
    }

    /// The calibration parameters (neutral without `--calibration`).
    pub fn calibration(&self) -> Result<Calibration> {
        match (&self.calibration, &self.inline_calibration) {
            (Some(_), Some(_)) => Err(Error::usage(
                "calibration",
                "give a calibration file or calibration data, not both",
            )),
            (Some(p), None) => Calibration::load(p),
            (None, Some(c)) => Ok(c.clone()),
            (None, None) => Ok(Calibration::default()),
        }
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

    /// Writes `v` as pretty JSON (2-space indent, trailing newline) to stdout or the file
    /// (or, inside [`capture_json`], keeps it as the captured value instead of printing it).
    pub fn write<T: serde::Serialize>(&self, v: &T) -> Result<()> {
        match self {
            JsonOut::File(p) => crate::output::write_json(p, v),
            JsonOut::Stdout if capturing() => {
                let v = serde_json::to_value(v).map_err(|e| Error::data("(captured)", "(json)", e.to_string()))?;
                keep_captured(v);
                Ok(())
            }
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
            JsonOut::Stdout if capturing() => {
                let v = serde_json::from_str(text).map_err(|e| Error::data("(captured)", "(json)", e.to_string()))?;
                keep_captured(v);
                Ok(())
            }
            JsonOut::Stdout => {
                print!("{text}");
                Ok(())
            }
        }
    }
}

thread_local! {
    /// `Some` while [`capture_json`] runs on this thread: the JSON the command printed, if any.
    static CAPTURED: std::cell::RefCell<Option<Option<serde_json::Value>>> = const { std::cell::RefCell::new(None) };
}

fn capturing() -> bool {
    CAPTURED.with(|c| c.borrow().is_some())
}

fn keep_captured(v: serde_json::Value) {
    CAPTURED.with(|c| *c.borrow_mut() = Some(Some(v)));
}

/// Runs `f` (a command given `--json` to stdout) with its JSON output kept as a value instead of
/// printed, for programs that embed the commands (the Python package). The capture is per
/// thread, so commands on several threads capture their own output. Returns `f`'s result and
/// the JSON it wrote last, if any.
pub fn capture_json<T>(f: impl FnOnce() -> Result<T>) -> (Result<T>, Option<serde_json::Value>) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CAPTURED.with(|c| *c.borrow_mut() = None);
        }
    }
    CAPTURED.with(|c| *c.borrow_mut() = Some(None));
    let _reset = Reset;
    let r = f();
    let v = CAPTURED.with(|c| c.borrow_mut().take().flatten());
    (r, v)
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
}
