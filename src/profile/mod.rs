//! Performance profiles: measured (or modelled) speed of engine configurations.
//!
//! A [`Profile`] groups the engines measured for one model, GPU and backend: a prefill curve
//! ([`PrefillCurve`]: ISL → TTFT, throughput) and/or a decode surface ([`DecodeSurface`]:
//! (kv_usage, context) → ITL, throughput) per tensor-parallel size and role. Every file layout
//! slasim reads (see [`load`]) ends up in this one type, and so do the shipped profiles
//! ([`shipped`]).

pub mod decode;
pub mod facts;
pub mod load;
pub mod npz;
#[cfg(feature = "plot")]
pub mod plot;
pub mod prefill;
pub mod query;
pub mod shipped;
pub mod step_model;
pub mod validate;

pub use decode::{DecodePoint, DecodeSurface};
pub use prefill::PrefillCurve;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// What an engine does in a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs prompts only (disaggregated prefill worker).
    Prefill,
    /// Runs generation only (disaggregated decode worker).
    Decode,
    /// Runs both (aggregated serving).
    Agg,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Prefill => "prefill",
            Role::Decode => "decode",
            Role::Agg => "agg",
        })
    }
}

/// Where a profile's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Measured on real hardware by deploying the engine and benchmarking it.
    MeasuredOnline,
    /// Estimated by AIConfigurator (static model), not measured.
    AicEstimate,
    /// Produced by slasim's analytic roofline model.
    Analytic,
    /// Loaded from a file whose provenance is not stated.
    Unknown,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::MeasuredOnline => "measured-online",
            Origin::AicEstimate => "aic-estimate",
            Origin::Analytic => "analytic",
            Origin::Unknown => "unknown",
        })
    }
}

/// One engine configuration (role and TP) and its measured performance.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineProfile {
    /// The role the engine was measured in.
    pub role: Role,
    /// Tensor-parallel size: GPUs per engine.
    pub tp: u32,
    /// Prefill curve, if measured for this engine.
    pub prefill: Option<PrefillCurve>,
    /// Decode surface, if measured for this engine.
    pub decode: Option<DecodeSurface>,
    /// The engine's real KV-cache capacity in tokens when it differs from the decode surface's
    /// KV scale (manifest or flag override). `None`: the surface's scale is the capacity.
    pub kv_capacity_override: Option<f64>,
    /// Why the capacity was overridden (shown by `profile show`).
    pub kv_capacity_note: Option<String>,
}

impl EngineProfile {
    /// The engine's KV-cache capacity in tokens: the override if any, else the decode surface's
    /// KV scale (`max_kv_tokens` of the file), else `None` (prefill-only data).
    pub fn kv_capacity_tokens(&self) -> Option<f64> {
        self.kv_capacity_override
            .or_else(|| self.decode.as_ref().map(|d| d.kv_scale_tokens))
    }

    /// The decode surface's KV scale (`max_kv_tokens` in the file), if any.
    pub fn kv_scale_tokens(&self) -> Option<f64> {
        self.decode.as_ref().map(|d| d.kv_scale_tokens)
    }
}

/// A named set of engine profiles for one model, GPU and backend.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Short stable name (`qwen3-32b/h200/trtllm-aic`) or the path it was loaded from.
    pub name: String,
    /// Model id (Hugging Face style), or "unknown".
    pub model: String,
    /// GPU name (AIConfigurator style, e.g. `h200_sxm`), or "unknown".
    pub gpu: String,
    /// Serving backend (`trtllm`, `vllm`, `sglang`), or "unknown".
    pub backend: String,
    /// Backend version, when known.
    pub backend_version: Option<String>,
    /// Provenance of the numbers.
    pub origin: Origin,
    /// Free-text description (shown by `profile show`).
    pub description: Option<String>,
    /// The engines, in file order.
    pub engines: Vec<EngineProfile>,
}

impl Profile {
    /// True when the profile's engines are prefill/decode workers (no aggregated engine), so a
    /// deployment of it defaults to disaggregated serving.
    pub fn role_separated(&self) -> bool {
        !self.engines.iter().any(|e| e.role == Role::Agg)
    }

    /// TPs of the engines that have a prefill curve.
    pub fn prefill_tps(&self) -> Vec<u32> {
        self.engines
            .iter()
            .filter(|e| e.prefill.is_some())
            .map(|e| e.tp)
            .collect()
    }

    /// TPs of the engines that have a decode surface.
    pub fn decode_tps(&self) -> Vec<u32> {
        self.engines
            .iter()
            .filter(|e| e.decode.is_some())
            .map(|e| e.tp)
            .collect()
    }

    fn pick<'a>(
        &'a self,
        what: &str,
        flag: &str,
        tp: Option<u32>,
        has: impl Fn(&EngineProfile) -> bool,
    ) -> Result<&'a EngineProfile> {
        let cands: Vec<&EngineProfile> = self.engines.iter().filter(|e| has(e)).collect();
        let tps = || cands.iter().map(|e| e.tp.to_string()).collect::<Vec<_>>().join(", ");
        match tp {
            Some(t) => cands.iter().copied().find(|e| e.tp == t).ok_or_else(|| {
                if cands.is_empty() {
                    Error::usage("--profile", format!("profile `{}` has no {what} data", self.name))
                } else {
                    Error::usage(
                        flag,
                        format!(
                            "profile `{}` has no {what} engine with TP {t}; it has TP {}",
                            self.name,
                            tps()
                        ),
                    )
                }
            }),
            None => match cands.len() {
                0 => Err(Error::usage(
                    "--profile",
                    format!("profile `{}` has no {what} data", self.name),
                )),
                1 => Ok(cands[0]),
                _ => Err(Error::usage(
                    flag,
                    format!("profile `{}` has {what} engines at TP {}; choose one", self.name, tps()),
                )),
            },
        }
    }

    /// The engine to use for prefill at `tp` (or the only one).
    pub fn prefill_engine(&self, tp: Option<u32>, flag: &str) -> Result<&EngineProfile> {
        self.pick("prefill", flag, tp, |e| e.prefill.is_some())
    }

    /// The engine to use for decode at `tp` (or the only one).
    pub fn decode_engine(&self, tp: Option<u32>, flag: &str) -> Result<&EngineProfile> {
        self.pick("decode", flag, tp, |e| e.decode.is_some())
    }

    /// An aggregated engine at `tp`: one that has both curves, or (for role-separated profiles)
    /// the prefill curve and decode surface measured at the same TP combined into one engine.
    pub fn agg_engine(&self, tp: Option<u32>, flag: &str) -> Result<EngineProfile> {
        if let Ok(e) = self.pick("aggregated (prefill + decode)", flag, tp, |e| {
            e.prefill.is_some() && e.decode.is_some()
        }) {
            return Ok(e.clone());
        }
        let p = self.prefill_engine(tp, flag)?;
        let d = self.decode_engine(Some(p.tp), flag).map_err(|_| {
            Error::usage(
                flag,
                format!(
                    "profile `{}` has no prefill and decode data at the same TP (prefill TP {}, decode TP {}), so it cannot serve aggregated",
                    self.name,
                    list(&self.prefill_tps()),
                    list(&self.decode_tps())
                ),
            )
        })?;
        Ok(EngineProfile {
            role: Role::Agg,
            tp: p.tp,
            prefill: p.prefill.clone(),
            decode: d.decode.clone(),
            kv_capacity_override: d.kv_capacity_override,
            kv_capacity_note: d.kv_capacity_note.clone(),
        })
    }
}

fn list(v: &[u32]) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
}

/// Resolves `--profile NAME|PATH`: a shipped profile name, or a path to a directory or file in
/// one of the layouts [`load`] understands.
/// [`resolve`], shared: a shipped profile is parsed once per process and the same copy handed
/// out (programs that simulate thousands of times, the Python package); a path is loaded.
pub fn resolve_shared(spec: &str) -> Result<std::sync::Arc<Profile>> {
    match shipped::shared(spec) {
        Some(p) => p,
        None => resolve(spec).map(std::sync::Arc::new),
    }
}

pub fn resolve(spec: &str) -> Result<Profile> {
    if let Some(p) = shipped::by_name(spec) {
        return p;
    }
    let (path_part, _) = load::split_row_suffix(spec);
    let path = std::path::Path::new(path_part);
    if path.exists() {
        return load::load_path(spec);
    }
    Err(Error::usage(
        "--profile",
        format!(
            "`{spec}` is neither a shipped profile ({}) nor an existing path",
            shipped::names().join(", ")
        ),
    ))
}
