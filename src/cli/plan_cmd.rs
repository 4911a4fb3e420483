//! `slasim plan`: replica counts for a target rate and SLA (the Dynamo SLA planner's
//! arithmetic), checked by simulation, plus a DynamoGraphDeployment YAML and a JSON summary.
//! See [`crate::plan`] for the rules.

use super::args::SlaFlags;
use crate::error::{Error, Result};
use crate::output::{text_table, write_atomic};
use crate::plan::dgd::{render, DgdInputs};
use crate::plan::{plan, CheckSettings, Interp, PlanInputs};
use crate::profile;
use crate::sim::calibration::Calibration;
use crate::sim::deployment::{DeploymentOptions, Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use crate::workload::{ArrivalPattern, LengthDist, LengthModel};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

/// The profile planned on when `--profile` is not given (the embedded default's).
pub const DEFAULT_PLAN_PROFILE: &str = "qwen3-32b/h200/trtllm-aic";

/// `slasim plan`
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  slasim plan --sinusoid 5:45:1800 --yaml dgd.yaml --json plan.json
  slasim plan --profile llama-3.1-8b-fp8/h200/vllm --isl 3000 --osl 150 \\
    --rps 45 --ttft 200 --itl 20 --interp planner")]
pub struct PlanArgs {
    /// Profile: a shipped name or a path (default qwen3-32b/h200/trtllm-aic).
    #[arg(long, help_heading = "Deployment")]
    pub profile: Option<String>,
    /// Prefill worker TP (needed when the profile has several prefill TPs).
    #[arg(long, help_heading = "Deployment")]
    pub prefill_tp: Option<u32>,
    /// Decode worker TP (needed when the profile has several decode TPs).
    #[arg(long, help_heading = "Deployment")]
    pub decode_tp: Option<u32>,
    /// Batch-size cap per engine, used by the simulation and the slasim view (default: the
    /// embedded default deployment's 8 without --profile, else 256).
    #[arg(long, help_heading = "Deployment")]
    pub max_num_seqs: Option<u32>,
    /// Token budget per engine iteration (default 8192).
    #[arg(long, help_heading = "Deployment")]
    pub max_batched_tokens: Option<u32>,
    /// KV-cache block size, tokens (default 16).
    #[arg(long, help_heading = "Deployment")]
    pub block_size: Option<u32>,
    /// Replica scheduler (default vllm).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub scheduler: Option<SchedulerKind>,
    /// Router policy across workers (default least-loaded).
    #[arg(long, value_enum, help_heading = "Deployment")]
    pub router: Option<RouterPolicy>,
    /// Override the decode engine's KV capacity, tokens.
    #[arg(long, value_name = "TOKENS", help_heading = "Deployment")]
    pub kv_capacity: Option<u64>,
    /// Calibration parameters JSON applied in the simulation check.
    #[arg(long, value_name = "FILE", help_heading = "Deployment")]
    pub calibration: Option<PathBuf>,
    /// Target request rate, req/s.
    #[arg(long, allow_negative_numbers = true, help_heading = "Load")]
    pub rps: Option<f64>,
    /// Sinusoidal load MIN:MAX:PERIOD_S; the plan is for its peak (MAX).
    #[arg(long, value_name = "MIN:MAX:PERIOD_S", help_heading = "Load")]
    pub sinusoid: Option<String>,
    /// Prompt length, tokens: N, or a distribution as in `simulate` (uniform:MIN:MAX,
    /// normal:MEAN:STD, lognormal:MEAN:STD, zipf:MAX:EXP). The arithmetic uses its mean; the
    /// simulation check draws from it.
    #[arg(long, default_value = "2048", help_heading = "Load")]
    pub isl: String,
    /// Output length, tokens (≥ 1), same syntax as --isl.
    #[arg(long, default_value = "256", help_heading = "Load")]
    pub osl: String,
    #[command(flatten)]
    /// SLA.
    pub sla: SlaFlags,
    /// Interpolation of the profile for the arithmetic: slasim's own, or the Dynamo planner's.
    #[arg(long, value_enum, default_value = "slasim", help_heading = "Plan")]
    pub interp: Interp,
    /// Minimum SLA hit rate (share of requests meeting both targets) for the plan to pass.
    #[arg(long, default_value_t = 0.9, help_heading = "Plan")]
    pub min_hit_rate: f64,
    /// Most re-checks with more replicas when the simulation misses the SLA.
    #[arg(long, default_value_t = 20, help_heading = "Plan")]
    pub max_adjust: u32,
    /// Requests per simulation check (default max(2000, 60 s × rate), at most 2,000,000).
    #[arg(long, allow_negative_numbers = true, help_heading = "Plan")]
    pub requests: Option<i64>,
    /// Random seed of the simulation check.
    #[arg(long, default_value_t = 1, help_heading = "Plan")]
    pub seed: u64,
    /// Skip the simulation check (arithmetic only).
    #[arg(long, help_heading = "Plan")]
    pub no_check: bool,
    /// Exit 1 when the final plan misses the SLA in simulation.
    #[arg(long, help_heading = "Plan")]
    pub enforce_sla: bool,
    /// Write the ConfigMap + DynamoGraphDeployment YAML to FILE (old spelling: --out-yaml).
    #[arg(long, value_name = "FILE", alias = "out-yaml", help_heading = "Output")]
    pub yaml: Option<PathBuf>,
    /// Write the JSON summary to FILE; with no FILE (or `-`), print it to stdout instead of the
    /// tables.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-",
          value_parser = super::args::json_out, help_heading = "Output")]
    pub json: Option<super::args::JsonOut>,
    /// metadata.name of the DynamoGraphDeployment (default from model and backend).
    #[arg(long, help_heading = "Output")]
    pub name: Option<String>,
    /// Container image for the services (default nvcr.io/nvidia/ai-dynamo/BACKEND-runtime:latest).
    #[arg(long, help_heading = "Output")]
    pub image: Option<String>,
}

/// A length flag: the distribution, and the whole number of tokens the arithmetic uses (its
/// mean, rounded, ≥ 1).
fn length(flag: &str, s: &str) -> Result<(LengthDist, u32)> {
    let d = LengthDist::parse(flag, s)?;
    d.validate(flag)?;
    let mean = d.mean().round().clamp(1.0, f64::from(crate::workload::MAX_TOKENS));
    Ok((d, mean as u32))
}

/// Runs `plan`.
pub fn run(a: PlanArgs) -> Result<i32> {
    let sla = a.sla.sla()?;
    let (isl_dist, isl) = length("--isl", &a.isl)?;
    let (osl_dist, osl) = length("--osl", &a.osl)?;
    if a.no_check {
        for (flag, given) in [
            ("--requests", a.requests.is_some()),
            ("--min-hit-rate", a.min_hit_rate != 0.9),
            ("--max-adjust", a.max_adjust != 20),
            ("--enforce-sla", a.enforce_sla),
            ("--calibration", a.calibration.is_some()),
        ] {
            if given {
                return Err(Error::usage(
                    flag,
                    "applies to the simulation check, which --no-check skips; drop one of them",
                ));
            }
        }
    }
    let (rate, load_json) = match (a.rps, &a.sinusoid) {
        (Some(_), Some(_)) => return Err(Error::usage("--rps", "give either --rps or --sinusoid, not both")),
        (None, None) => {
            return Err(Error::usage(
                "--rps",
                "give the target load: --rps R (req/s) or --sinusoid MIN:MAX:PERIOD_S (planned for its peak)",
            ))
        }
        (Some(r), None) => {
            if !(r.is_finite() && r > 0.0 && r <= 1e6) {
                return Err(Error::usage(
                    "--rps",
                    format!("must be a rate in req/s in (0, 1e6], got {r}"),
                ));
            }
            (r, json!({"type": "rps", "rps": r}))
        }
        (None, Some(s)) => match ArrivalPattern::parse_sinusoid(s)? {
            ArrivalPattern::Sinusoid {
                min_rps,
                max_rps,
                period_s,
            } => (
                max_rps,
                json!({"type": "sinusoid", "min_rps": min_rps, "max_rps": max_rps, "period_s": period_s, "planned_for": "peak"}),
            ),
            _ => return Err(Error::usage("--sinusoid", "expected MIN:MAX:PERIOD_S")),
        },
    };
    if !(a.min_hit_rate > 0.0 && a.min_hit_rate <= 1.0) {
        return Err(Error::usage(
            "--min-hit-rate",
            format!("must be a share in (0, 1], got {}", a.min_hit_rate),
        ));
    }
    if a.max_adjust > 1000 {
        return Err(Error::usage(
            "--max-adjust",
            format!("must be ≤ 1000, got {}", a.max_adjust),
        ));
    }
    let requests = match a.requests {
        // the check keeps every request record: bounded like simulate's --requests-csv
        Some(n) if !(1..=crate::sim::MAX_EXACT_REQUESTS as i64).contains(&n) => {
            return Err(Error::usage(
                "--requests",
                format!(
                    "must be between 1 and {} (the check keeps every request), got {n}",
                    crate::sim::MAX_EXACT_REQUESTS
                ),
            ))
        }
        Some(n) => Some(n as u64),
        None => None,
    };
    let calibration = match &a.calibration {
        Some(p) => Calibration::load(p)?,
        None => Calibration::default(),
    };
    // Without --profile, plan the embedded default deployment of `simulate` (its batch cap,
    // scheduler and router), so the two commands describe the same deployment.
    let base = match a.profile {
        Some(_) => DeploymentOptions::default(),
        None => toml::from_str::<DeploymentOptions>(super::args::DEFAULT_DEPLOYMENT_TOML)
            .map_err(|e| Error::data("embedded default deployment", "(toml)", e.to_string()))?,
    };
    let name = a
        .profile
        .clone()
        .or_else(|| base.profile.clone())
        .unwrap_or_else(|| DEFAULT_PLAN_PROFILE.to_string());
    let prof = profile::resolve(&name)?;
    let flags = DeploymentOptions {
        profile: Some(name.clone()),
        mode: Some(Mode::Disagg),
        prefill_tp: a.prefill_tp,
        decode_tp: a.decode_tp,
        max_num_seqs: a.max_num_seqs,
        max_batched_tokens: a.max_batched_tokens,
        block_size: a.block_size,
        scheduler: a.scheduler,
        router: a.router,
        kv_capacity_tokens: a.kv_capacity,
        ..Default::default()
    };
    // the planner decides the worker counts
    let opts = DeploymentOptions {
        prefill_workers: None,
        decode_workers: None,
        replicas: None,
        ..base.overridden_by(&flags)
    };
    let inputs = PlanInputs {
        rate_rps: rate,
        isl,
        osl,
        sla,
        interp: a.interp,
        lengths: match (&isl_dist, &osl_dist) {
            (LengthDist::Fixed(_), LengthDist::Fixed(_)) => None,
            _ => Some(LengthModel::Dist {
                isl: isl_dist.clone(),
                osl: osl_dist.clone(),
            }),
        },
    };
    let settings = CheckSettings {
        options: opts.clone(),
        calibration,
        requests,
        seed: a.seed,
        min_hit_rate: a.min_hit_rate,
        max_adjust: a.max_adjust,
    };
    let p = plan(&prof, &inputs, (!a.no_check).then_some(&settings), &opts)?;
    let ar = &p.arithmetic;
    // With `--json` to stdout, stdout holds only the JSON.
    let text = !super::args::json_to_stdout(&a.json);
    macro_rules! say {
        ($($t:tt)*) => { if text { println!($($t)*); } };
    }
    macro_rules! say_raw {
        ($($t:tt)*) => { if text { print!($($t)*); } };
    }

    say!(
        "plan · {} · {} · {} · profile {} · interp {}",
        prof.model,
        prof.gpu,
        prof.backend,
        prof.name,
        ar.interp
    );
    say!(
        "target {rate} req/s{} · ISL {isl} · OSL {osl} · SLA TTFT ≤ {} ms, ITL ≤ {} ms",
        if a.sinusoid.is_some() { " (sinusoid peak)" } else { "" },
        sla.ttft_ms,
        sla.itl_ms
    );
    let rows = vec![
        vec![
            "side".to_string(),
            "TP".into(),
            "lookup".into(),
            "latency ms".into(),
            "tok/s/GPU".into(),
            "demand tok/s".into(),
            "replicas".into(),
        ],
        vec![
            "prefill".into(),
            ar.prefill.tp.to_string(),
            format!("ISL {}", ar.prefill.isl_used),
            format!("TTFT {:.1}", ar.prefill.ttft_ms),
            format!("{:.1}", ar.prefill.thpt_per_gpu),
            format!("{:.0}", ar.prefill.demand_tokens_s),
            ar.prefill.replicas.to_string(),
        ],
        vec![
            "decode".into(),
            ar.decode.tp.to_string(),
            match ar.decode.batch {
                Some(b) => format!("ctx {:.0}, batch {b}, kv {:.3}", ar.decode.context, ar.decode.kv_usage),
                None => format!("ctx {:.0}, kv {:.3}", ar.decode.context, ar.decode.kv_usage),
            },
            format!("ITL {:.2}", ar.decode.itl_ms),
            format!("{:.1}", ar.decode.thpt_per_gpu),
            format!("{:.0}", ar.decode.demand_tokens_s),
            ar.decode.replicas.to_string(),
        ],
    ];
    say_raw!("{}", text_table(&rows));
    for n in &ar.notes {
        say!("note: {n}");
    }
    if !p.checks.is_empty() {
        say!(
            "\nsimulation check (Poisson at {rate} req/s, {} requests per check):",
            p.checks[0].requests
        );
        let mut rows = vec![vec![
            "plan".to_string(),
            "GPUs".into(),
            "TTFT p50".into(),
            "TTFT p90".into(),
            "TTFT p99".into(),
            "ITL p50".into(),
            "ITL p90".into(),
            "ITL p99".into(),
            "SLA %".into(),
            "goodput req/s".into(),
            "meets".into(),
        ]];
        for c in &p.checks {
            rows.push(vec![
                format!("P{} D{}", c.prefill_workers, c.decode_workers),
                c.num_gpus.to_string(),
                format!("{:.1}", c.ttft_ms.p50),
                format!("{:.1}", c.ttft_ms.p90),
                format!("{:.1}", c.ttft_ms.p99),
                format!("{:.2}", c.itl_ms.p50),
                format!("{:.2}", c.itl_ms.p90),
                format!("{:.2}", c.itl_ms.p99),
                format!("{:.1}", c.sla_hit_rate * 100.0),
                format!("{:.2}", c.goodput_req_s),
                if c.meets_sla { "yes".into() } else { "no".into() },
            ]);
        }
        say_raw!("{}", text_table(&rows));
    }
    say!("{}", p.verdict);

    let pe = prof.prefill_engine(Some(ar.prefill.tp), "--prefill-tp")?;
    let de = prof.decode_engine(Some(ar.decode.tp), "--decode-tp")?;
    let (Some(pc), Some(ds)) = (pe.prefill.as_ref(), de.decode.as_ref()) else {
        return Err(Error::usage("--profile", "the profile lacks prefill or decode data"));
    };
    let dgd_name = a.name.clone().unwrap_or_else(|| {
        let short = prof.model.rsplit('/').next().unwrap_or(&prof.model).to_string();
        format!("{short}-{}-disagg-planner", prof.backend)
    });
    let yaml = render(&DgdInputs {
        name: dgd_name.clone(),
        model: prof.model.clone(),
        backend: prof.backend.clone(),
        image: a
            .image
            .clone()
            .unwrap_or_else(|| format!("nvcr.io/nvidia/ai-dynamo/{}-runtime:latest", prof.backend)),
        prefill_tp: ar.prefill.tp,
        decode_tp: ar.decode.tp,
        prefill_replicas: p.prefill_workers,
        decode_replicas: p.decode_workers,
        ttft_ms: sla.ttft_ms,
        itl_ms: sla.itl_ms,
        prefill: pc,
        decode: ds,
    })?;
    if let Some(path) = &a.yaml {
        write_atomic(path, yaml.as_bytes())?;
        eprintln!(
            "wrote {} (ConfigMap planner-profile-data + DynamoGraphDeployment {}; read back OK)",
            path.display(),
            crate::plan::dgd::dns_name(&dgd_name)
        );
    }
    if let Some(j) = &a.json {
        let v = json!({
            "profile": prof.name, "model": prof.model, "gpu": prof.gpu, "backend": prof.backend,
            "interp": ar.interp,
            "load": load_json, "target_rps": rate, "isl": isl, "osl": osl,
            "sla": {"ttft_ms": sla.ttft_ms, "itl_ms": sla.itl_ms},
            "sla_rule": {"min_hit_rate": a.min_hit_rate,
                "definition": "plan meets the SLA when the share of simulated requests with TTFT <= ttft_ms AND ITL <= itl_ms is >= min_hit_rate"},
            "arithmetic": ar,
            "checks": p.checks,
            "final": {
                "prefill": {"tp": ar.prefill.tp, "workers": p.prefill_workers},
                "decode": {"tp": ar.decode.tp, "workers": p.decode_workers},
                "num_gpus": ar.prefill.tp * p.prefill_workers + ar.decode.tp * p.decode_workers,
                "adjusted": p.adjusted, "meets_sla": p.meets_sla,
            },
            "verdict": p.verdict,
            "yaml": a.yaml.as_ref().map(|p| p.display().to_string()),
        });
        j.write(&v)?;
    }
    Ok(if a.enforce_sla && p.meets_sla == Some(false) {
        1
    } else {
        0
    })
}
