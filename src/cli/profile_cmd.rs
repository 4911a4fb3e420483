//! `slasim profile list|show|query|plot`.

use super::args::JsonOut;
use crate::error::{Error, Result};
use crate::output::text_table;
use crate::profile::query::{positive, QueryPoint};
use crate::profile::{self, facts, Profile, Role};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `slasim profile …`
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Profile action.
    #[command(subcommand)]
    pub action: ProfileAction,
}

/// Profile actions.
#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// List the shipped profiles: name, model, GPU, backend, engines (role, TP, KV capacity), origin.
    #[command(after_help = "Examples:\n  slasim profile list\n  slasim profile list --json profiles.json")]
    List {
        /// Print JSON instead of the table; `--json FILE` writes FILE (and prints the table).
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", value_parser = crate::cli::args::json_out)]
        json: Option<JsonOut>,
    },
    /// Print a profile's measured points, KV numbers and derived facts (largest ISL meeting a
    /// TTFT target, largest batch meeting an ITL target, peak throughputs).
    #[command(after_help = "Examples:\n  slasim profile show qwen3-32b/h200/trtllm-aic --ttft 300 --itl 20")]
    Show {
        /// A shipped profile name (see `profile list`) or a path to a profile directory or file
        /// (profiler output dir, pre-swept npz, ConfigMap JSON, mocker npz; `FILE.npz#ROW` picks a row).
        profile: String,
        /// TTFT target for the derived facts, ms.
        #[arg(long, default_value_t = 500.0)]
        ttft: f64,
        /// ITL target for the derived facts, ms.
        #[arg(long, default_value_t = 50.0)]
        itl: f64,
        /// Context length (tokens) at which the largest batch meeting the ITL target is computed.
        #[arg(long, default_value_t = 2176.0)]
        context: f64,
        /// Print JSON instead of text; `--json FILE` writes FILE (and prints the text).
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", value_parser = crate::cli::args::json_out)]
        json: Option<JsonOut>,
    },
    /// Query the interpolated curves: `--isl N` gives TTFT and prefill throughput;
    /// `--kv-usage U --context C` gives ITL and decode throughput.
    #[command(after_help = "Examples:
  slasim profile query qwen3-32b/h200/trtllm-aic --isl 2048 --json
  slasim profile query llama-3.3-70b-fp8/h100/vllm --tp 4 \\
    --kv-usage 0.3 --context 2000 --json")]
    Query {
        /// Shipped profile name or path.
        profile: String,
        /// Engine TP (needed when the profile has several).
        #[arg(long, value_parser = crate::cli::args::count)]
        tp: Option<u32>,
        /// Engine role to query (default: prefill for --isl, decode for --kv-usage).
        #[arg(long, value_parser = ["prefill", "decode"])]
        role: Option<String>,
        /// Prompt length, tokens.
        #[arg(long, conflicts_with_all = ["kv_usage", "context"])]
        isl: Option<f64>,
        /// KV-cache usage on the surface's scale (KV tokens in use / max_kv_tokens).
        #[arg(long, requires = "context")]
        kv_usage: Option<f64>,
        /// Context length, tokens.
        #[arg(long, requires = "kv_usage")]
        context: Option<f64>,
        /// Print JSON instead of text; `--json FILE` writes FILE (and prints the text).
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-", value_parser = crate::cli::args::json_out)]
        json: Option<JsonOut>,
    },
    /// Draw a profile: prefill TTFT vs ISL, decode ITL vs kv_usage (one line per context),
    /// decode throughput/GPU vs ITL. The format follows the extension (.png or .svg).
    #[command(after_help = "Examples:\n  slasim profile plot llama-3.3-70b-fp8/h100/vllm --tp 4 --plot llama70b.svg")]
    Plot {
        /// Shipped profile name or path.
        profile: String,
        /// Output image (.png or .svg).
        #[arg(long, value_name = "FILE", required_unless_present = "out")]
        plot: Option<PathBuf>,
        /// Old spelling of --plot (deprecated: `--out` is a folder in every command).
        #[arg(long, value_name = "FILE", hide = true, conflicts_with = "plot")]
        out: Option<PathBuf>,
        /// Engine TP to draw (default: every engine).
        #[arg(long, value_parser = crate::cli::args::count)]
        tp: Option<u32>,
    },
    /// Synthesise an analytic (roofline) profile for a model card, GPU and TP, and write it in
    /// Dynamo's profiler layout (selected_{prefill,decode}_interpolation/raw_data.npz).
    Synth(crate::analytic::cli::SynthArgs),
    /// Fit the roofline model's efficiency factors per GPU/backend to shipped measured profiles
    /// (--measured) or to AIConfigurator silicon operating points (--silicon); report the error.
    FitRoofline(crate::analytic::cli::FitRooflineArgs),
}

/// Runs a profile action.
pub fn run(a: ProfileArgs) -> Result<i32> {
    match a.action {
        ProfileAction::List { json } => {
            let all = profile::shipped::all()?;
            let entries: Vec<_> = all.iter().map(facts::list_entry).collect();
            if let Some(j) = &json {
                j.write(&entries)?;
            }
            if !super::args::json_to_stdout(&json) {
                let mut rows = vec![vec![
                    "name".to_string(),
                    "model".into(),
                    "GPU".into(),
                    "backend".into(),
                    "engines (role TP, KV tokens)".into(),
                    "origin".into(),
                ]];
                for e in &entries {
                    let eng = e
                        .engines
                        .iter()
                        .map(|x| {
                            format!(
                                "{} TP{}{}",
                                x.role,
                                x.tp,
                                x.max_kv_tokens.map(|k| format!(" {k:.0}")).unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    rows.push(vec![
                        e.name.clone(),
                        e.model.clone(),
                        e.gpu.clone(),
                        e.backend.clone(),
                        eng,
                        e.origin.clone(),
                    ]);
                }
                print!("{}", text_table(&rows));
            }
            Ok(0)
        }
        ProfileAction::Show {
            profile,
            ttft,
            itl,
            context,
            json,
        } => {
            positive("--ttft", ttft)?;
            positive("--itl", itl)?;
            positive("--context", context)?;
            let p = profile::resolve(&profile)?;
            let s = facts::show(
                &p,
                facts::Targets {
                    ttft_ms: ttft,
                    itl_ms: itl,
                    context,
                },
            );
            if let Some(j) = &json {
                j.write(&s)?;
            }
            if !super::args::json_to_stdout(&json) {
                print!("{}", facts::show_text(&s));
            }
            Ok(0)
        }
        ProfileAction::Query {
            profile,
            tp,
            role,
            isl,
            kv_usage,
            context,
            json,
        } => {
            let p = profile::resolve(&profile)?;
            query(&p, tp, role.as_deref(), isl, kv_usage, context, json.as_ref())
        }
        ProfileAction::Plot {
            profile,
            plot: image,
            out,
            tp,
        } => {
            let image = match (image, out) {
                (Some(p), _) => p,
                (None, Some(p)) => {
                    super::args::deprecated("--out FILE", "--plot FILE");
                    p
                }
                (None, None) => return Err(Error::usage("--plot", "give the output image: --plot FILE.png|.svg")),
            };
            let p = profile::resolve(&profile)?;
            plot(&p, &image, tp)
        }
        ProfileAction::Synth(a) => crate::analytic::cli::run_synth(a),
        ProfileAction::FitRoofline(a) => crate::analytic::cli::run_fit(a),
    }
}

fn query(
    p: &Profile,
    tp: Option<u32>,
    role: Option<&str>,
    isl: Option<f64>,
    kv: Option<f64>,
    ctx: Option<f64>,
    json: Option<&JsonOut>,
) -> Result<i32> {
    let point = match (isl, kv, ctx) {
        (Some(isl), _, _) => QueryPoint::Prefill { isl },
        (None, Some(kv_usage), Some(context)) => QueryPoint::Decode { kv_usage, context },
        _ => {
            return Err(Error::usage(
                "profile query",
                "give --isl N, or --kv-usage U with --context C",
            ))
        }
    };
    let role = match role {
        Some("prefill") => Some(Role::Prefill),
        Some("decode") => Some(Role::Decode),
        _ => None,
    };
    let answer = profile::query::query(p, tp, role, point)?;
    if let Some(j) = json {
        j.write_text(&format!("{}\n", answer.json()))?;
    }
    if !json.is_some_and(JsonOut::is_stdout) {
        println!("{}", answer.text());
    }
    Ok(0)
}

#[cfg(feature = "plot")]
fn plot(p: &Profile, out: &std::path::Path, tp: Option<u32>) -> Result<i32> {
    crate::profile::plot::plot_profile(p, out, tp)?;
    eprintln!("wrote {}", out.display());
    Ok(0)
}

#[cfg(not(feature = "plot"))]
fn plot(_p: &Profile, _out: &std::path::Path, _tp: Option<u32>) -> Result<i32> {
    Err(Error::usage(
        "profile plot",
        "this build has no plotting; rebuild with the default `plot` feature",
    ))
}
