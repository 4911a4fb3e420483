//! Point queries of a profile's interpolated curves (`slasim profile query`, and the Python
//! package's `Profile.query`): the TTFT and prefill throughput at a prompt length, or the ITL
//! and decode throughput at a KV usage and context length.

use super::{EngineProfile, Profile, Role};
use crate::error::{Error, Result};
use serde_json::{json, Value};

/// Where to read the curves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueryPoint {
    /// A prefill of `isl` tokens (prompt length, tokens).
    Prefill {
        /// Prompt length, tokens (> 0).
        isl: f64,
    },
    /// A decode step at `kv_usage` (KV tokens in use / the surface's max_kv_tokens, ≥ 0) and
    /// `context` (tokens per request, > 0).
    Decode {
        /// KV-cache usage on the surface's scale.
        kv_usage: f64,
        /// Context length, tokens.
        context: f64,
    },
}

/// The answer of one query, with the engine that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryAnswer {
    /// Role of the engine whose curve was read.
    pub role: Role,
    /// Its tensor-parallel size.
    pub tp: u32,
    /// The point asked for.
    pub point: QueryPoint,
    /// TTFT (prefill) or ITL (decode), ms.
    pub latency_ms: f64,
    /// Prefill or decode throughput, tokens/s per GPU.
    pub thpt_per_gpu: f64,
}

impl QueryAnswer {
    /// The JSON of SPEC §7: `{"ttft_ms","prefill_thpt_per_gpu"}` or `{"itl_ms","decode_thpt_per_gpu"}`.
    pub fn json(&self) -> Value {
        match self.point {
            QueryPoint::Prefill { .. } => {
                json!({"ttft_ms": self.latency_ms, "prefill_thpt_per_gpu": self.thpt_per_gpu})
            }
            QueryPoint::Decode { .. } => json!({"itl_ms": self.latency_ms, "decode_thpt_per_gpu": self.thpt_per_gpu}),
        }
    }

    /// One line for the terminal.
    pub fn text(&self) -> String {
        match self.point {
            QueryPoint::Prefill { isl } => format!(
                "TTFT({isl} tokens) = {:.3} ms; prefill throughput = {:.1} tokens/s/GPU ({} TP{})",
                self.latency_ms, self.thpt_per_gpu, self.role, self.tp
            ),
            QueryPoint::Decode { kv_usage, context } => format!(
                "ITL(kv_usage {kv_usage}, context {context}) = {:.3} ms; decode throughput = {:.1} tokens/s/GPU ({} TP{})",
                self.latency_ms, self.thpt_per_gpu, self.role, self.tp
            ),
        }
    }
}

/// `v` as the value of `flag`: an error unless it is a finite number > 0.
pub fn positive(flag: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(Error::usage(flag, format!("must be a positive number, got {v}")));
    }
    Ok(())
}

fn engine_for(p: &Profile, tp: Option<u32>, role: Role) -> Result<&EngineProfile> {
    match role {
        Role::Prefill => p.prefill_engine(tp, "--tp"),
        _ => p.decode_engine(tp, "--tp"),
    }
}

/// Reads `p`'s curves at `point` on the engine of `role` (default: prefill for a prefill point,
/// decode for a decode point) and `tp` (needed when the profile has several). Errors name the
/// flag (`--isl`, `--kv-usage`, `--context`, `--tp`, `--role`).
pub fn query(p: &Profile, tp: Option<u32>, role: Option<Role>, point: QueryPoint) -> Result<QueryAnswer> {
    match point {
        QueryPoint::Prefill { isl } => {
            positive("--isl", isl)?;
            let e = engine_for(p, tp, role.unwrap_or(Role::Prefill))?;
            let c = e.prefill.as_ref().ok_or_else(|| {
                Error::usage(
                    "--role",
                    format!("the {} engine at TP{} has no prefill curve", e.role, e.tp),
                )
            })?;
            Ok(QueryAnswer {
                role: e.role,
                tp: e.tp,
                point,
                latency_ms: c.ttft_ms(isl),
                thpt_per_gpu: c.thpt_per_gpu(isl),
            })
        }
        QueryPoint::Decode { kv_usage, context } => {
            if !(kv_usage.is_finite() && kv_usage >= 0.0) {
                return Err(Error::usage("--kv-usage", format!("must be ≥ 0, got {kv_usage}")));
            }
            positive("--context", context)?;
            let e = engine_for(p, tp, role.unwrap_or(Role::Decode))?;
            let d = e.decode.as_ref().ok_or_else(|| {
                Error::usage(
                    "--role",
                    format!("the {} engine at TP{} has no decode surface", e.role, e.tp),
                )
            })?;
            Ok(QueryAnswer {
                role: e.role,
                tp: e.tp,
                point,
                latency_ms: d.itl_ms(kv_usage, context),
                thpt_per_gpu: d.thpt_per_gpu(kv_usage, context),
            })
        }
    }
}
