//! `slasim calibrate`: diff simulation against real runs, gate on MAPE, fit parameters.

use super::args::{json_out, DeploymentFlags, JsonOut};
use crate::calibrate::compare::compare;
use crate::calibrate::fit::{fit, FitOptions};
use crate::calibrate::hwrun::HwRun;
use crate::calibrate::identify::{identify, Identification};
use crate::calibrate::params::{default_fit_params, Param};
use crate::calibrate::report::{evaluate, summary, table, today, Evaluation, LooRun};
use crate::calibrate::silicon_runs::{is_silicon_csv, silicon_runs};
use crate::calibrate::targets::{build, simulate_target, Target};
use crate::error::{Error, Result};
use crate::metrics::Sla;
use crate::output::write_json;
use crate::sim::deployment::Mode;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

/// `slasim calibrate`
#[derive(Debug, Args)]
#[command(
    after_help = "Run files (auto-detected): the slasim/SPEC hardware-run template JSON (a `simulate --json` \
output reads back as one), AIPerf profile_export_aiperf.json, vLLM benchmark_serving results. Where a run does not state \
its deployment, --profile/--deployment and the other deployment flags give it (default: the embedded default deployment).\n\n\
Gates: strict = TTFT and TPOT P50 MAPE < 5 % (fails ⇒ the profile is off: re-profile or fit the time scales); loose = E2E \
P99 MAPE < 15 % (10 % with --tight; fails ⇒ scheduler/queue parameters: batch-size cap, per-iteration overhead). Gates \
are evaluated over every run, fitted and held out; a gate whose metric some run lacks is \"not evaluated\" and counts as \
failed. Exit 1 when a gate fails or is not evaluated. A file may not be both --hw-run and --holdout.\n\n\
Examples (the shipped AIPerf runs of the default deployment; profile only, the gates fail):
  slasim calibrate \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/idle.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json  # exits 1
With the shipped calibration: loose gate 7.1 %, strict 7.6 % (passes at 10 %, fails at 5 %):
  slasim calibrate --calibration calibration/qwen3-32b-h200-trtllm-aic.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/idle.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/saturation.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/overload.json \\
    --strict-pct 10 --json report.json
Fitting on two runs, one held out (strict gate 7.2 % after the fit):
  slasim calibrate --fit --calibration-out my-fit.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/idle.json \\
    --hw-run calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json \\
    --holdout calibration/runs/qwen3-32b-h200-trtllm-aic/overload.json  # exits 1"
)]
pub struct CalibrateArgs {
    /// A hardware run to compare against (repeat).
    /// (An AIConfigurator silicon CSV gives one closed-loop run per row, compared on mean TTFT,
    /// TPOT and E2E; each row's TP selects the profile's engine.)
    #[arg(long = "hw-run", value_name = "RUN.json|SILICON.csv", required = true)]
    pub hw_run: Vec<PathBuf>,
    /// A run kept out of the fit and reported separately (repeat).
    #[arg(long, value_name = "RUN.json")]
    pub holdout: Vec<PathBuf>,
    #[command(flatten)]
    /// Deployment (for runs that do not state it); `--calibration` is the starting point.
    pub deployment: DeploymentFlags,
    /// TTFT target for goodput, ms (default: the run's own, else 500).
    #[arg(long)]
    pub ttft: Option<f64>,
    /// ITL target for goodput, ms (default: the run's own, else 50).
    #[arg(long)]
    pub itl: Option<f64>,
    /// Seeds averaged per run when its workload is random (Poisson).
    #[arg(long, default_value_t = 3)]
    pub seeds: u32,
    /// Fit the calibration parameters to the (non-held-out) runs.
    #[arg(long)]
    pub fit: bool,
    /// Parameters to fit, comma-separated (default: prefill_time_scale, decode_time_scale,
    /// ttft_overhead_ms, iteration_overhead_ms, and prefill_handoff_ms for disagg).
    #[arg(long, value_delimiter = ',')]
    pub fit_params: Vec<String>,
    /// Disagg: do not search the prefill workers' effective batch cap (`prefill_max_num_seqs`
    /// ∈ {deployment's, 1, 2, 4}); keep the starting calibration's.
    #[arg(long)]
    pub no_fit_prefill_batch: bool,
    /// Nelder–Mead restarts besides the starting point (per prefill batch-cap candidate).
    #[arg(long, default_value_t = 4)]
    pub starts: usize,
    /// Nelder–Mead iterations per start.
    #[arg(long, default_value_t = 250)]
    pub max_iters: u64,
    /// Weight of the prior toward the neutral calibration (scales 1, times 0): adds
    /// λ·Σ deviation² (ln of a scale, seconds of a time) to the objective, so a parameter the
    /// runs cannot pin down stays neutral instead of drifting; 0 disables it.
    #[arg(long, default_value_t = crate::calibrate::fit::DEFAULT_PRIOR_WEIGHT, value_name = "λ")]
    pub prior_weight: f64,
    /// Leave-one-out: for each run, fit on the others and predict it.
    #[arg(long)]
    pub loo: bool,
    /// Write the fitted parameters to FILE (accepted by `simulate --calibration`); needs --fit.
    #[arg(long, value_name = "FILE")]
    pub calibration_out: Option<PathBuf>,
    /// Old spelling of --calibration-out (deprecated: `--out` is a folder in every command).
    #[arg(long, value_name = "FILE", hide = true, conflicts_with = "calibration_out")]
    pub out: Option<PathBuf>,
    /// Loose gate at 10 % instead of 15 %.
    #[arg(long)]
    pub tight: bool,
    /// Strict gate threshold, %.
    #[arg(long, default_value_t = 5.0)]
    pub strict_pct: f64,
    /// Loose gate threshold, % (overrides --tight).
    #[arg(long)]
    pub loose_pct: Option<f64>,
    /// Write the report JSON (SPEC §7) to FILE; with no FILE (or `-`), print it to stdout
    /// instead of the tables.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", value_parser = json_out)]
    pub json: Option<JsonOut>,
    /// Draw the calibration figure (.png or .svg): predicted vs measured per run × metric
    /// (before/after a fit) and TTFT / ITL P50 vs load level, measured vs simulated.
    #[arg(long, value_name = "FILE.{png,svg}")]
    pub plot: Option<PathBuf>,
    /// Write, per run, its simulated twin (at the reported calibration: fitted with --fit) as an
    /// AIPerf run directory `DIR/RUN/simulated`, beside `DIR/RUN/measured` (the real AIPerf run),
    /// so `aiperf plot DIR` draws both. DIR must be new or empty.
    #[arg(long, value_name = "DIR")]
    pub aiperf_dir: Option<PathBuf>,
}

/// Runs `calibrate`.
pub fn run(mut a: CalibrateArgs) -> Result<i32> {
    if let Some(p) = a.out.take() {
        super::args::deprecated("--out FILE", "--calibration-out FILE");
        a.calibration_out = Some(p);
    }
    let sla = match (a.ttft, a.itl) {
        (None, None) => None,
        (t, i) => {
            let s = Sla {
                ttft_ms: t.unwrap_or(500.0),
                itl_ms: i.unwrap_or(50.0),
            };
            for (f, v) in [("--ttft", s.ttft_ms), ("--itl", s.itl_ms)] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::usage(f, format!("must be a positive time in ms, got {v}")));
                }
            }
            Some(s)
        }
    };
    let strict = a.strict_pct;
    let loose = a.loose_pct.unwrap_or(if a.tight { 10.0 } else { 15.0 });
    for (f, v) in [("--strict-pct", strict), ("--loose-pct", loose)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::usage(f, format!("must be a positive percentage, got {v}")));
        }
    }
    if a.seeds == 0 || a.seeds > 100 {
        return Err(Error::usage(
            "--seeds",
            format!("must be between 1 and 100, got {}", a.seeds),
        ));
    }
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    if let Some(d) = &a.aiperf_dir {
        crate::metrics::aiperf_dir::check_target(d, "--aiperf-dir")?;
    }
    check_roles(&a.hw_run, &a.holdout)?;
    let mut runs = Vec::new();
    for p in &a.hw_run {
        for r in load_runs(p)? {
            runs.push((r, false));
        }
    }
    for p in &a.holdout {
        for r in load_runs(p)? {
            runs.push((r, true));
        }
    }
    let runs = keep_silicon_rows_the_profile_has(runs, &a.deployment)?;
    let targets = build(runs, &a.deployment, sla, a.seeds)?;
    let initial = a.deployment.calibration()?;
    let disagg = targets.iter().any(|t| t.spec.deployment.mode == Mode::Disagg);
    let params: Vec<Param> = if a.fit_params.is_empty() {
        default_fit_params(disagg)
    } else {
        a.fit_params
            .iter()
            .map(|s| Param::parse(s.trim()))
            .collect::<Result<_>>()?
    };
    let prefill_batch_candidates = if a.no_fit_prefill_batch || !disagg {
        vec![]
    } else {
        vec![None, Some(1), Some(2), Some(4)]
    };
    let opts = FitOptions {
        params,
        starts: a.starts,
        max_iters: a.max_iters.max(1),
        prefill_batch_candidates,
        prior_weight: a.prior_weight,
    };
    if !(a.prior_weight.is_finite() && a.prior_weight >= 0.0) {
        return Err(Error::usage(
            "--prior-weight",
            format!("expected λ ≥ 0, got {}", a.prior_weight),
        ));
    }
    if (a.fit || a.loo) && targets.iter().all(|t| t.holdout) {
        return Err(Error::usage("--fit", "every run is held out: nothing to fit on"));
    }
    if a.calibration_out.is_some() && !a.fit {
        return Err(Error::usage("--calibration-out", "writes fitted parameters: add --fit"));
    }
    if a.loo && targets.iter().filter(|t| !t.holdout).count() < 2 {
        return Err(Error::usage("--loo", "needs at least two fitted runs"));
    }

    let before = evaluate(&targets, &initial, strict, loose)?;
    let fit_targets: Vec<&_> = targets.iter().filter(|t| !t.holdout).collect();
    let mut after = None;
    let mut fit_info = None;
    if a.fit {
        let r = fit(&fit_targets, &initial, &opts);
        eprintln!(
            "fit: objective (mean squared log ratio) {:.5} → {:.5} in {} evaluations",
            r.objective_before, r.objective_after, r.evaluations
        );
        fit_info = Some(
            json!({"objective_before": r.objective_before, "objective_after": r.objective_after, "evaluations": r.evaluations,
            "params": opts.params.iter().map(|p| p.key()).collect::<Vec<_>>()}),
        );
        after = Some(evaluate(&targets, &r.calibration, strict, loose)?);
    }
    let mut loo = Vec::new();
    if a.loo {
        for i in 0..fit_targets.len() {
            let others: Vec<&_> = fit_targets
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, t)| *t)
                .collect();
            let r = fit(&others, &initial, &opts);
            let sim = simulate_target(fit_targets[i], &r.calibration)?;
            loo.push(LooRun {
                name: fit_targets[i].run.name.clone(),
                parameters: r.calibration,
                metrics: compare(&fit_targets[i].run, &sim),
            });
        }
    }

    let fin = after.as_ref().unwrap_or(&before);
    // which runs pin which parameter, at the calibration the report ends with
    let ident = identify(&fit_targets, &fin.parameters, &opts.params)?;
    let text = !super::args::json_to_stdout(&a.json);
    if text {
        print_tables(&targets, &before, after.as_ref(), &loo, a.fit);
        print!("{}", identification_table(&ident));
    }
    for w in &ident.warnings {
        eprintln!("warning: {w}");
    }

    if let Some(j) = &a.json {
        let mut v = serde_json::to_value(fin).unwrap_or_default();
        if let serde_json::Value::Object(o) = &mut v {
            if a.fit {
                o.insert("before".into(), serde_json::to_value(&before).unwrap_or_default());
                o.insert("fit".into(), fit_info.clone().unwrap_or_default());
            }
            if !loo.is_empty() {
                o.insert("loo".into(), serde_json::to_value(&loo).unwrap_or_default());
            }
            o.insert(
                "identifiability".into(),
                serde_json::to_value(&ident).unwrap_or_default(),
            );
        }
        j.write(&v)?;
    }
    if let Some(p) = &a.plot {
        let title = targets
            .first()
            .map(|t| {
                format!(
                    "calibration · {} · {} · {}",
                    t.spec.deployment.model,
                    t.spec.deployment.short(),
                    t.spec.deployment.profile
                )
            })
            .unwrap_or_default();
        plot(&before, after.as_ref(), &targets, p, &title)?;
        eprintln!("wrote {}", p.display());
    }
    if let (Some(p), Some(af)) = (&a.calibration_out, &after) {
        let mut cal = af.parameters.clone();
        cal.provenance = Some(json!({
            "fitted_by": format!("slasim {} calibrate --fit", env!("CARGO_PKG_VERSION")),
            "date": today(),
            "runs": targets.iter().filter(|t| !t.holdout).map(|t| t.run.file.clone()).collect::<Vec<_>>(),
            "holdout_runs": targets.iter().filter(|t| t.holdout).map(|t| t.run.file.clone()).collect::<Vec<_>>(),
            "deployment": targets.first().map(|t| t.spec.deployment.config_json()),
            "fit": fit_info,
            "mape_pct_after": serde_json::to_value(af).ok().and_then(|v| v.get("mape_pct").cloned()),
        }));
        write_json(p, &cal)?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(d) = &a.aiperf_dir {
        crate::calibrate::aiperf_twin::write_twin_dir(d, "--aiperf-dir", &targets, &fin.parameters)?;
        eprintln!("wrote {}", d.display());
    }
    Ok(if fin.gates.pass() { 0 } else { 1 })
}

/// Prints the comparison tables, gate summaries and leave-one-out table to stdout.
fn print_tables(targets: &[Target], before: &Evaluation, after: Option<&Evaluation>, loo: &[LooRun], fitted: bool) {
    println!(
        "{}",
        targets
            .first()
            .map(|t| format!(
                "deployment: {} · {} · {}",
                t.spec.deployment.model,
                t.spec.deployment.short(),
                t.spec.deployment.profile
            ))
            .unwrap_or_default()
    );
    print!("{}", table(before, after));
    print!(
        "{}",
        summary(before, if fitted { "before fit" } else { "current parameters" })
    );
    if let Some(af) = after {
        print!("{}", summary(af, "after fit"));
        let p = serde_json::to_value(&af.parameters).unwrap_or_default();
        println!("fitted parameters: {}", p);
    }
    if !loo.is_empty() {
        println!("leave-one-out (fit on the other runs, predict this one):");
        let mut rows = vec![vec![
            "left out".to_string(),
            "metric".into(),
            "hw".into(),
            "sim".into(),
            "err %".into(),
            "status".into(),
        ]];
        for l in loo {
            for (k, (m, c)) in l.metrics.iter().enumerate() {
                rows.push(vec![
                    if k == 0 { l.name.clone() } else { String::new() },
                    m.key().into(),
                    format!("{:.2}", c.hw),
                    format!("{:.2}", c.sim),
                    format!("{:.1}", c.error_pct),
                    c.status.into(),
                ]);
            }
        }
        print!("{}", crate::output::text_table(&rows));
    }
}

/// The runs of a `--hw-run`/`--holdout` file: one run, or every row of an AIConfigurator
/// silicon CSV.
fn load_runs(p: &std::path::Path) -> Result<Vec<HwRun>> {
    let bytes = crate::error::read_file(p)?;
    let file = p.display().to_string();
    if is_silicon_csv(&bytes) {
        silicon_runs(&file, &bytes)
    } else {
        Ok(vec![HwRun::from_bytes(&file, &bytes)?])
    }
}

/// Silicon CSVs hold rows at several TPs; the profile may have engines at only some. Rows at a TP
/// the profile lacks are left out, with a note on stderr (an error when none is left).
fn keep_silicon_rows_the_profile_has(runs: Vec<(HwRun, bool)>, flags: &DeploymentFlags) -> Result<Vec<(HwRun, bool)>> {
    use crate::calibrate::hwrun::RunFormat;
    if !runs.iter().any(|(r, _)| r.format == RunFormat::Silicon) {
        return Ok(runs);
    }
    let (profile, _) = flags.resolve()?;
    let tps: Vec<u32> = profile
        .prefill_tps()
        .into_iter()
        .filter(|t| profile.decode_tps().contains(t))
        .collect();
    let total = runs.len();
    let mut dropped: Vec<u32> = Vec::new();
    let kept: Vec<(HwRun, bool)> = runs
        .into_iter()
        .filter(|(r, _)| {
            let keep = r.format != RunFormat::Silicon || r.config.tp.is_some_and(|t| tps.contains(&t));
            if !keep {
                dropped.extend(r.config.tp);
            }
            keep
        })
        .collect();
    if !dropped.is_empty() {
        dropped.sort_unstable();
        dropped.dedup();
        eprintln!(
            "note: {} of {total} silicon rows left out: profile `{}` has no aggregated engine at TP {} (it has TP {})",
            total - kept.len(),
            profile.name,
            dropped.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
            tps.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        );
    }
    if kept.is_empty() {
        return Err(Error::usage(
            "--hw-run",
            format!("no silicon row is at a TP of profile `{}` (TP {tps:?})", profile.name),
        ));
    }
    Ok(kept)
}

/// The identifiability section of the report: per parameter its value, 1-σ range, whether it
/// is pinned and by which runs.
fn identification_table(id: &Identification) -> String {
    let mut rows = vec![vec![
        "parameter".to_string(),
        "value".into(),
        "1-σ range (3 % noise)".into(),
        "pinned".into(),
        "constrained by (sensitivity)".into(),
    ]];
    for p in &id.params {
        rows.push(vec![
            p.param.to_string(),
            format!("{:.4}", p.value),
            format!("{:.4} … {:.4}", p.interval[0], p.interval[1]),
            if p.pinned { "yes".into() } else { "NO".into() },
            if p.constrained_by.is_empty() {
                "no run".into()
            } else {
                {
                    // the most sensitive runs first, at most four named
                    let mut by: Vec<&(String, f64)> = p.constrained_by.iter().collect();
                    by.sort_by(|a, b| b.1.total_cmp(&a.1));
                    let mut t = by
                        .iter()
                        .take(4)
                        .map(|(r, n)| format!("{r} ({n:.2})"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if by.len() > 4 {
                        t.push_str(&format!(" and {} more", by.len() - 4));
                    }
                    t
                }
            },
        ]);
    }
    format!("which runs pin which parameter:\n{}", crate::output::text_table(&rows))
}

/// Refuses a run given both as `--hw-run` and `--holdout` (the same file, compared by
/// canonical path, so `./a.json`, `dir/../a.json` and links count as one): it would be fitted
/// on and then score its own hold-out.
fn check_roles(fitted: &[PathBuf], holdout: &[PathBuf]) -> Result<()> {
    // a path that cannot be canonicalised (missing file) is compared as given; loading it
    // reports the real problem
    let canon = |p: &PathBuf| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
    let fitted: Vec<(PathBuf, &PathBuf)> = fitted.iter().map(|p| (canon(p), p)).collect();
    for h in holdout {
        let c = canon(h);
        if let Some((_, f)) = fitted.iter().find(|(fc, _)| *fc == c) {
            return Err(Error::usage(
                "--holdout",
                format!(
                    "{} is also given as --hw-run {}: a run cannot be held out of a fit it is part of",
                    h.display(),
                    f.display()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(feature = "plot")]
fn check_plot_path(p: &std::path::Path) -> Result<()> {
    crate::calibrate::plot::check_path(p)
}

#[cfg(feature = "plot")]
fn plot(
    before: &Evaluation,
    after: Option<&Evaluation>,
    targets: &[Target],
    p: &std::path::Path,
    title: &str,
) -> Result<()> {
    crate::calibrate::plot::plot_calibration(before, after, targets, p, title)
}

#[cfg(not(feature = "plot"))]
fn check_plot_path(_p: &std::path::Path) -> Result<()> {
    Err(Error::usage(
        "--plot",
        "this build has no plotting; rebuild with the default `plot` feature",
    ))
}

#[cfg(not(feature = "plot"))]
fn plot(_b: &Evaluation, _a: Option<&Evaluation>, _t: &[Target], _p: &std::path::Path, _title: &str) -> Result<()> {
    check_plot_path(_p)
}
