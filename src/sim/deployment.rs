//! What is simulated: serving mode, engines per role, scheduler caps, router.
//!
//! A deployment comes from command-line flags and/or a TOML file (`--deployment FILE.toml`);
//! flags override the file. Schema (every key optional; see
//! `calibration/deployments/qwen3-32b-h200-trtllm-aic.toml`):
//!
//! ```toml
//! profile = "qwen3-32b/h200/trtllm-aic"   # shipped name or path
//! mode = "disagg"                          # "agg" | "disagg" (default: disagg for role-separated profiles)
//! tp = 1                                   # agg: engine TP
//! prefill_tp = 1                           # disagg
//! decode_tp = 2                            # disagg
//! replicas = 1                             # agg: engine replicas
//! prefill_workers = 1                      # disagg
//! decode_workers = 1                       # disagg
//! max_num_seqs = 8                         # batch-size cap per engine (default 256)
//! max_batched_tokens = 8192                # per-iteration token budget (default 8192)
//! block_size = 16                          # KV block, tokens (default 16)
//! chunked_prefill = true                   # vllm scheduler only (default true)
//! scheduler = "vllm"                       # "vllm" | "prefill-first"
//! router = "least-loaded"                  # "round-robin" | "least-loaded" | "least-kv"
//! kv_capacity_tokens = 500000              # override the (decode/agg) engine's KV capacity
//! prefill_kv_capacity_tokens = 500000      # override the prefill worker's KV capacity
//! step_model = "composed"                  # "composed" | "sum" (see crate::profile::step_model)
//! first_token = "decode"                   # disagg: "decode" (Dynamo) | "prefill"
//! ```

use super::router::RouterPolicy;
use crate::error::{read_file, Error, Result};
use crate::profile::step_model::StepModelKind;
use crate::profile::{DecodeSurface, PrefillCurve, Profile, Role};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Serving mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Each replica runs prefill and decode.
    Agg,
    /// Prefill workers hand the KV cache to decode workers.
    Disagg,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Agg => "agg",
            Mode::Disagg => "disagg",
        })
    }
}

/// Replica-level scheduling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulerKind {
    /// vLLM-style continuous batching: decode first, then chunked prefill within the token
    /// budget, FCFS admission, preemption (recompute) of the newest request when KV runs out.
    Vllm,
    /// Whole prompts in their own iterations, prioritised over decode steps.
    PrefillFirst,
}

impl std::fmt::Display for SchedulerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SchedulerKind::Vllm => "vllm",
            SchedulerKind::PrefillFirst => "prefill-first",
        })
    }
}

/// Where a disaggregated request's first token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FirstToken {
    /// NVIDIA Dynamo's path: prefill → KV transfer → decode admission → the decode worker's
    /// first step emits the first token (the KV hand-off is on the TTFT path). The decode worker
    /// generates all OSL tokens.
    #[default]
    Decode,
    /// The prefill worker returns the first token when its prefill ends (a vLLM P/D connector
    /// proxy, TRT-LLM's context server): the KV transfer is off the TTFT path and the decode
    /// worker generates the remaining OSL − 1 tokens.
    Prefill,
}

impl std::fmt::Display for FirstToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FirstToken::Decode => "decode",
            FirstToken::Prefill => "prefill",
        })
    }
}

/// One engine type: its performance data and KV capacity.
#[derive(Debug, Clone)]
pub struct EngineSpec {
    /// Role in the deployment.
    pub role: Role,
    /// GPUs per engine.
    pub tp: u32,
    /// Prefill curve (needed for agg and prefill roles).
    pub prefill: Option<Arc<PrefillCurve>>,
    /// Decode surface (needed for agg and decode roles).
    pub decode: Option<Arc<DecodeSurface>>,
    /// KV-cache capacity, tokens.
    pub kv_capacity_tokens: u64,
}

/// A complete deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Profile name.
    pub profile: String,
    /// Model id.
    pub model: String,
    /// GPU name.
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Serving mode.
    pub mode: Mode,
    /// Agg: the engine; disagg: the prefill worker.
    pub prefill: EngineSpec,
    /// Agg: same as `prefill`; disagg: the decode worker.
    pub decode: EngineSpec,
    /// Agg: replicas; disagg: prefill workers.
    pub prefill_workers: u32,
    /// Disagg: decode workers (agg: equal to replicas, unused).
    pub decode_workers: u32,
    /// Batch-size cap per engine.
    pub max_num_seqs: u32,
    /// Token budget per iteration.
    pub max_batched_tokens: u32,
    /// KV block size, tokens.
    pub block_size: u32,
    /// Chunked prefill (vllm scheduler).
    pub chunked_prefill: bool,
    /// Scheduler.
    pub scheduler: SchedulerKind,
    /// Router policy.
    pub router: RouterPolicy,
    /// Step-time rule.
    pub step_model: StepModelKind,
    /// Disagg: where the first token comes from.
    pub first_token: FirstToken,
    /// KV-cache bytes per token of the whole model (all layers and KV heads), from the model
    /// card when the profile names one; sizes KV transfers (`kv_transfer_gbps`).
    pub kv_bytes_per_token: Option<f64>,
    /// Automatic prefix caching on agg engines and prefill workers (default on; it only acts on
    /// requests whose workload names their content; see [`super::prefix_cache`]).
    pub prefix_cache: bool,
    /// `kv` router: weight of the new prefill blocks in a worker's cost (Dynamo's
    /// `kv_overlap_score_weight`, default 1.0).
    pub kv_overlap_weight: f64,
    /// `kv` router: softmax temperature over the normalised costs (0 = lowest cost wins).
    pub router_temperature: f64,
}

impl Deployment {
    /// GPUs used by the whole deployment.
    pub fn num_gpus(&self) -> u32 {
        match self.mode {
            Mode::Agg => self.prefill.tp * self.prefill_workers,
            Mode::Disagg => self.prefill.tp * self.prefill_workers + self.decode.tp * self.decode_workers,
        }
    }

    /// The `config` block of the summary JSON (SPEC §4).
    pub fn config_json(&self) -> serde_json::Value {
        let (p, d) = match self.mode {
            Mode::Agg => (
                serde_json::json!({"tp": self.prefill.tp, "workers": self.prefill_workers}),
                serde_json::json!({"tp": self.prefill.tp, "workers": self.prefill_workers}),
            ),
            Mode::Disagg => (
                serde_json::json!({"tp": self.prefill.tp, "workers": self.prefill_workers}),
                serde_json::json!({"tp": self.decode.tp, "workers": self.decode_workers}),
            ),
        };
        serde_json::json!({
            "model": self.model, "gpu": self.gpu, "backend": self.backend, "profile": self.profile,
            "mode": self.mode.to_string(), "prefill": p, "decode": d,
            "max_num_seqs": self.max_num_seqs, "max_batched_tokens": self.max_batched_tokens,
            "block_size": self.block_size, "chunked_prefill": self.chunked_prefill,
            "scheduler": self.scheduler.to_string(), "router": self.router.to_string(),
            "step_model": self.step_model.to_string(), "first_token": self.first_token.to_string(),
            "prefix_cache": self.prefix_cache,
            "kv_capacity_tokens": self.decode.kv_capacity_tokens,
            "num_gpus": self.num_gpus(),
        })
    }

    /// A short human description, e.g. `disagg P1xTP1 D1xTP2`.
    pub fn short(&self) -> String {
        match self.mode {
            Mode::Agg => format!("agg {}xTP{}", self.prefill_workers, self.prefill.tp),
            Mode::Disagg => format!(
                "disagg P{}xTP{} D{}xTP{}",
                self.prefill_workers, self.prefill.tp, self.decode_workers, self.decode.tp
            ),
        }
    }
}

/// Deployment settings from flags and/or a TOML file; unset values take defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeploymentOptions {
    /// Profile (shipped name or path).
    pub profile: Option<String>,
    /// Serving mode.
    pub mode: Option<Mode>,
    /// Agg engine TP.
    pub tp: Option<u32>,
    /// Prefill worker TP.
    pub prefill_tp: Option<u32>,
    /// Decode worker TP.
    pub decode_tp: Option<u32>,
    /// Agg replicas.
    pub replicas: Option<u32>,
    /// Prefill workers.
    pub prefill_workers: Option<u32>,
    /// Decode workers.
    pub decode_workers: Option<u32>,
    /// Batch-size cap.
    pub max_num_seqs: Option<u32>,
    /// Token budget per iteration.
    pub max_batched_tokens: Option<u32>,
    /// KV block size.
    pub block_size: Option<u32>,
    /// Chunked prefill on/off.
    pub chunked_prefill: Option<bool>,
    /// Scheduler.
    pub scheduler: Option<SchedulerKind>,
    /// Router.
    pub router: Option<RouterPolicy>,
    /// KV capacity override of the agg/decode engine, tokens.
    pub kv_capacity_tokens: Option<u64>,
    /// KV capacity override of the prefill worker, tokens.
    pub prefill_kv_capacity_tokens: Option<u64>,
    /// Step-time rule (default composed).
    pub step_model: Option<StepModelKind>,
    /// Disagg: where the first token comes from (default decode, Dynamo's path).
    pub first_token: Option<FirstToken>,
    /// Automatic prefix caching (default true).
    pub prefix_cache: Option<bool>,
    /// `kv` router: weight of new prefill blocks in the cost (default 1.0, ≥ 0).
    pub kv_overlap_weight: Option<f64>,
    /// `kv` router: softmax temperature (default 0 = deterministic, ≥ 0).
    pub router_temperature: Option<f64>,
}

/// The command-line flag of each deployment key (TOML name), for attributing errors.
pub const KEY_FLAGS: [(&str, &str); 19] = [
    ("profile", "--profile"),
    ("mode", "--mode"),
    ("tp", "--tp"),
    ("prefill_tp", "--prefill-tp"),
    ("decode_tp", "--decode-tp"),
    ("replicas", "--replicas"),
    ("prefill_workers", "--prefill-workers"),
    ("decode_workers", "--decode-workers"),
    ("max_num_seqs", "--max-num-seqs"),
    ("max_batched_tokens", "--max-batched-tokens"),
    ("block_size", "--block-size"),
    ("chunked_prefill", "--no-chunked-prefill"),
    ("scheduler", "--scheduler"),
    ("router", "--router"),
    ("kv_capacity_tokens", "--kv-capacity"),
    ("prefill_kv_capacity_tokens", "prefill_kv_capacity_tokens"),
    ("prefix_cache", "--no-prefix-cache"),
    ("kv_overlap_weight", "--kv-overlap-weight"),
    ("router_temperature", "--router-temperature"),
];

/// Which values of a layered deployment (a file overridden by flags) came from the file, so an
/// error about one of them names `FILE: key` instead of a flag the user never gave.
#[derive(Debug, Clone, Default)]
pub struct FileKeys {
    /// The file (as shown in messages).
    pub file: String,
    /// Keys whose value is the file's.
    pub keys: Vec<&'static str>,
}

impl FileKeys {
    /// The keys `file_opts` sets that `flags` does not override.
    pub fn new(file: &str, file_opts: &DeploymentOptions, flags: &DeploymentOptions) -> Self {
        let over = flags.set_keys();
        FileKeys {
            file: file.to_string(),
            keys: file_opts.set_keys().into_iter().filter(|k| !over.contains(k)).collect(),
        }
    }

    /// `e` re-attributed to the file when it is a usage error about a flag (`--tp`, or
    /// `--mode agg`) whose key came from the file: `FILE: `key`: problem`.
    pub fn attribute(&self, e: Error) -> Error {
        match e {
            Error::Usage { flag, problem } => {
                let head = flag.split_whitespace().next().unwrap_or("");
                match KEY_FLAGS.iter().find(|(k, f)| *f == head && self.keys.contains(k)) {
                    Some((k, _)) => Error::data(&self.file, *k, problem),
                    None => Error::Usage { flag, problem },
                }
            }
            other => other,
        }
    }
}

/// Default batch-size cap (vLLM's default `max_num_seqs`).
pub const DEFAULT_MAX_NUM_SEQS: u32 = 256;
/// Default per-iteration token budget (vLLM V1's default `max_num_batched_tokens` for online serving).
pub const DEFAULT_MAX_BATCHED_TOKENS: u32 = 8192;
/// Default KV block size (vLLM's default `block_size`).
pub const DEFAULT_BLOCK_SIZE: u32 = 16;

impl DeploymentOptions {
    /// Reads a deployment TOML file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::data(&file, "(file)", "is not UTF-8 text"))?;
        Self::from_toml(&file, text)
    }

    /// Parses a deployment TOML text; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::toml(file, text, &e))
    }

    /// The keys (TOML names) this value sets.
    pub fn set_keys(&self) -> Vec<&'static str> {
        macro_rules! keys {
            ($($f:ident),*) => { { let mut v = Vec::new(); $(if self.$f.is_some() { v.push(stringify!($f)); })* v } };
        }
        keys!(
            profile,
            mode,
            tp,
            prefill_tp,
            decode_tp,
            replicas,
            prefill_workers,
            decode_workers,
            max_num_seqs,
            max_batched_tokens,
            block_size,
            chunked_prefill,
            scheduler,
            router,
            kv_capacity_tokens,
            prefill_kv_capacity_tokens,
            step_model,
            first_token,
            prefix_cache,
            kv_overlap_weight,
            router_temperature
        )
    }

    /// `self` with every value set in `over` replacing ours.
    pub fn overridden_by(&self, over: &DeploymentOptions) -> DeploymentOptions {
        macro_rules! pick {
            ($($f:ident),*) => { DeploymentOptions { $($f: over.$f.clone().or_else(|| self.$f.clone())),* } };
        }
        pick!(
            profile,
            mode,
            tp,
            prefill_tp,
            decode_tp,
            replicas,
            prefill_workers,
            decode_workers,
            max_num_seqs,
            max_batched_tokens,
            block_size,
            chunked_prefill,
            scheduler,
            router,
            kv_capacity_tokens,
            prefill_kv_capacity_tokens,
            step_model,
            first_token,
            prefix_cache,
            kv_overlap_weight,
            router_temperature
        )
    }

    /// Builds the deployment on `profile`.
    pub fn build(&self, profile: &Profile) -> Result<Deployment> {
        let nz = |flag: &str, v: Option<u32>, default: u32| -> Result<u32> {
            match v {
                Some(0) => Err(Error::usage(flag, "must be ≥ 1, got 0")),
                Some(x) if x > 1_000_000 => Err(Error::usage(flag, format!("{x} is absurdly large"))),
                Some(x) => Ok(x),
                None => Ok(default),
            }
        };
        let mode = self.mode.unwrap_or(if profile.role_separated() {
            Mode::Disagg
        } else {
            Mode::Agg
        });
        let max_num_seqs = nz("--max-num-seqs", self.max_num_seqs, DEFAULT_MAX_NUM_SEQS)?;
        let max_batched_tokens = nz(
            "--max-batched-tokens",
            self.max_batched_tokens,
            DEFAULT_MAX_BATCHED_TOKENS,
        )?;
        let block_size = nz("--block-size", self.block_size, DEFAULT_BLOCK_SIZE)?;
        if block_size > 4096 {
            return Err(Error::usage(
                "--block-size",
                format!("{block_size} tokens is too large (≤ 4096)"),
            ));
        }
        let scheduler = self.scheduler.unwrap_or(SchedulerKind::Vllm);
        let router = self.router.unwrap_or(RouterPolicy::LeastLoaded);
        let chunked_prefill = self.chunked_prefill.unwrap_or(true);
        for (flag, v) in [
            ("--kv-capacity", self.kv_capacity_tokens),
            ("prefill_kv_capacity_tokens", self.prefill_kv_capacity_tokens),
        ] {
            if v == Some(0) {
                return Err(Error::usage(flag, "must be ≥ 1 token"));
            }
        }
        let (prefill, decode, pw, dw) = match mode {
            Mode::Agg => {
                if self.prefill_tp.is_some()
                    || self.decode_tp.is_some()
                    || self.prefill_workers.is_some()
                    || self.decode_workers.is_some()
                {
                    return Err(Error::usage(
                        "--mode agg",
                        "--prefill-tp/--decode-tp/--prefill-workers/--decode-workers are for --mode disagg; use --tp and --replicas",
                    ));
                }
                let e = profile.agg_engine(self.tp, "--tp")?;
                let cap = self
                    .kv_capacity_tokens
                    .map(|x| x as f64)
                    .or(e.kv_capacity_tokens())
                    .unwrap_or(0.0);
                let spec = EngineSpec {
                    role: Role::Agg,
                    tp: e.tp,
                    prefill: e.prefill.clone().map(Arc::new),
                    decode: e.decode.clone().map(Arc::new),
                    kv_capacity_tokens: cap as u64,
                };
                let r = nz("--replicas", self.replicas, 1)?;
                (spec.clone(), spec, r, r)
            }
            Mode::Disagg => {
                if self.tp.is_some() || self.replicas.is_some() {
                    return Err(Error::usage(
                        "--mode disagg",
                        "--tp/--replicas are for --mode agg; use --prefill-tp/--decode-tp and --prefill-workers/--decode-workers",
                    ));
                }
                let pe = profile.prefill_engine(self.prefill_tp, "--prefill-tp")?;
                let de = profile.decode_engine(self.decode_tp, "--decode-tp")?;
                let dcap = self
                    .kv_capacity_tokens
                    .map(|x| x as f64)
                    .or(de.kv_capacity_tokens())
                    .unwrap_or(0.0);
                // A prefill worker's KV only holds prompts in flight; without data, give it the
                // decode engine's capacity scaled by the TP ratio.
                let pcap = self
                    .prefill_kv_capacity_tokens
                    .map(|x| x as f64)
                    .or(pe.kv_capacity_tokens())
                    .unwrap_or(dcap * pe.tp as f64 / de.tp as f64);
                let p = EngineSpec {
                    role: Role::Prefill,
                    tp: pe.tp,
                    prefill: pe.prefill.clone().map(Arc::new),
                    decode: None,
                    kv_capacity_tokens: pcap as u64,
                };
                let d = EngineSpec {
                    role: Role::Decode,
                    tp: de.tp,
                    prefill: None,
                    decode: de.decode.clone().map(Arc::new),
                    kv_capacity_tokens: dcap as u64,
                };
                (
                    p,
                    d,
                    nz("--prefill-workers", self.prefill_workers, 1)?,
                    nz("--decode-workers", self.decode_workers, 1)?,
                )
            }
        };
        for e in [&prefill, &decode] {
            if e.kv_capacity_tokens < block_size as u64 {
                return Err(Error::usage(
                    "--kv-capacity",
                    format!(
                        "the {} engine's KV capacity ({} tokens) is smaller than one block ({block_size})",
                        e.role, e.kv_capacity_tokens
                    ),
                ));
            }
        }
        let router_knob = |flag: &str, v: Option<f64>, default: f64| -> Result<f64> {
            match v {
                Some(x) if !(x.is_finite() && x >= 0.0) => {
                    Err(Error::usage(flag, format!("is {x}; expected a number ≥ 0")))
                }
                Some(_) if router != RouterPolicy::Kv => Err(Error::usage(
                    flag,
                    format!("applies to the KV-aware router; the router here is {router} (add --router kv)"),
                )),
                Some(x) => Ok(x),
                None => Ok(default),
            }
        };
        let kv_overlap_weight = router_knob("--kv-overlap-weight", self.kv_overlap_weight, 1.0)?;
        let router_temperature = router_knob("--router-temperature", self.router_temperature, 0.0)?;
        Ok(Deployment {
            profile: profile.name.clone(),
            model: profile.model.clone(),
            gpu: profile.gpu.clone(),
            backend: profile.backend.clone(),
            mode,
            prefill,
            decode,
            prefill_workers: pw,
            decode_workers: dw,
            max_num_seqs,
            max_batched_tokens,
            block_size,
            chunked_prefill,
            scheduler,
            router,
            step_model: self.step_model.unwrap_or_default(),
            first_token: self.first_token.unwrap_or_default(),
            kv_bytes_per_token: kv_bytes_per_token(profile),
            prefix_cache: self.prefix_cache.unwrap_or(true),
            kv_overlap_weight,
            router_temperature,
        })
    }
}

/// The KV bytes per token of a profile's model: from its shipped manifest's model card and KV
/// dtype, else from a shipped model card named like the profile's model (BF16 KV); `None` when
/// no card is known.
pub fn kv_bytes_per_token(profile: &Profile) -> Option<f64> {
    use crate::analytic::model::{Dtype, ModelSpec};
    let (card, kv) = match crate::profile::shipped::manifest(&profile.name) {
        Some(Ok(m)) => (
            m.model_card.unwrap_or_else(|| profile.model.clone()),
            m.kv_dtype.as_deref().and_then(Dtype::parse).unwrap_or(Dtype::Bf16),
        ),
        _ => (profile.model.clone(), Dtype::Bf16),
    };
    ModelSpec::resolve(&card).ok().map(|m| m.kv_bytes_per_token(kv))
}
