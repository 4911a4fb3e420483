//! Configuration search (`slasim sweep`, `slasim merge`): expand a search space of deployments,
//! simulate each under the target workload, find its max request rate meeting the SLA, rank by
//! goodput per GPU and mark the Pareto front of output tokens/s/GPU vs tokens/s/user.
//!
//! * [`space`] — the space (flags / TOML), its deterministic enumeration, shards;
//! * [`resolve`] — which profile (measured, AIC estimate, analytic) serves each role and TP;
//! * [`evaluate`] — one configuration: target levels, SLA rule, max-rate search;
//! * [`report`] — shard files, merging, ranking, Pareto front, JSON/CSV/table output;
//! * [`checkpoint`] — parallel evaluation with checkpoints on wall time;
//! * `plot` — the Pareto-front figure.
//!
//! # Determinism, shards and merging
//! A configuration's result depends only on the configuration and the sweep settings (seeded
//! simulations, no shared state), so evaluating configurations in parallel, in shards or in
//! several interrupted pieces gives the same results. Every run — sharded or not — first
//! produces a shard file's worth of per-configuration results ([`report::ShardFile`]); the final
//! report is computed from the complete set of results by one function
//! ([`report::finalize`]), so `sweep` without `--shard` and `merge` of N shards write the same
//! bytes.

pub mod checkpoint;
pub mod evaluate;
#[cfg(feature = "plot")]
pub mod plot;
pub mod report;
pub mod resolve;
pub mod space;

use crate::error::{Error, Result};
use crate::profile::{EngineProfile, Origin, Profile, Role};
use crate::sim::deployment::{Deployment, DeploymentOptions, Mode};
use crate::sim::router::RouterPolicy;
use evaluate::{ConfigResult, EvalSettings};
use resolve::{weaker, Sources};
use space::ConfigPoint;

/// FNV-1a 64-bit hash (stable across platforms and releases), as 16 hex digits.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Per-sweep deployment settings that are not searched.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedKnobs {
    /// Per-iteration token budget, tokens (`None`: the default).
    pub max_batched_tokens: Option<u32>,
    /// Router policy (`None`: the default).
    pub router: Option<RouterPolicy>,
}

/// Resolves every (role, TP) the configurations need. Failures are kept per configuration (it
/// is then reported as failed), unless every configuration fails, which is an error.
pub fn resolve_all(sources: &mut Sources, configs: &[ConfigPoint]) -> Result<()> {
    let mut first_err: Option<Error> = None;
    let mut any_ok = false;
    for c in configs {
        let needs: Vec<(Role, u32)> = match c.mode {
            Mode::Agg => vec![(Role::Agg, c.prefill_tp)],
            Mode::Disagg => vec![(Role::Prefill, c.prefill_tp), (Role::Decode, c.decode_tp)],
        };
        let mut ok = true;
        for (r, t) in needs {
            if sources.get(r, t).is_some() {
                continue;
            }
            if let Err(e) = sources.resolve(r, t) {
                ok = false;
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
        any_ok |= ok;
    }
    match (any_ok, first_err) {
        (false, Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// A copy of `e` serving only `role`: a prefill engine drops its decode surface, a decode
/// engine its prefill curve (an agg engine keeps both).
pub fn engine_for_role(e: &EngineProfile, role: Role) -> EngineProfile {
    let mut e = e.clone();
    e.role = role;
    match role {
        Role::Prefill => e.decode = None,
        Role::Decode => e.prefill = None,
        Role::Agg => {}
    }
    e
}

/// The deployment of `c`, with its origin and the profile names of its prefill and decode
/// engines. Needs [`resolve_all`] first.
pub fn deployment_for(
    c: &ConfigPoint,
    sources: &Sources,
    knobs: FixedKnobs,
) -> Result<(Deployment, Origin, String, String)> {
    let missing = |r: Role, t: u32| {
        Error::usage(
            "--tp",
            format!("no profile data for the {r} role at TP {t} (see the sweep's first error)"),
        )
    };
    let strip = engine_for_role;
    let base = DeploymentOptions {
        max_num_seqs: Some(c.max_num_seqs),
        scheduler: Some(c.scheduler),
        max_batched_tokens: knobs.max_batched_tokens,
        router: knobs.router,
        mode: Some(c.mode),
        ..Default::default()
    };
    let (engines, opts, origin, pn, dn) = match c.mode {
        Mode::Agg => {
            let s = sources
                .get(Role::Agg, c.prefill_tp)
                .ok_or_else(|| missing(Role::Agg, c.prefill_tp))?;
            let opts = DeploymentOptions {
                tp: Some(c.prefill_tp),
                replicas: Some(c.prefill_workers),
                ..base
            };
            (
                vec![strip(&s.engine, Role::Agg)],
                opts,
                s.origin,
                s.profile.clone(),
                s.profile.clone(),
            )
        }
        Mode::Disagg => {
            let p = sources
                .get(Role::Prefill, c.prefill_tp)
                .ok_or_else(|| missing(Role::Prefill, c.prefill_tp))?;
            let d = sources
                .get(Role::Decode, c.decode_tp)
                .ok_or_else(|| missing(Role::Decode, c.decode_tp))?;
            let opts = DeploymentOptions {
                prefill_tp: Some(c.prefill_tp),
                decode_tp: Some(c.decode_tp),
                prefill_workers: Some(c.prefill_workers),
                decode_workers: Some(c.decode_workers),
                ..base
            };
            (
                vec![strip(&p.engine, Role::Prefill), strip(&d.engine, Role::Decode)],
                opts,
                weaker(p.origin, d.origin),
                p.profile.clone(),
                d.profile.clone(),
            )
        }
    };
    let name = if pn == dn { pn.clone() } else { format!("{pn} + {dn}") };
    let prof = Profile {
        name,
        model: sources.model.clone(),
        gpu: sources.gpu.clone(),
        backend: sources.backend.clone(),
        backend_version: None,
        origin,
        description: None,
        engines,
    };
    let dep = opts.build(&prof)?;
    Ok((dep, origin, pn, dn))
}

/// Evaluates one configuration (building its deployment first; failures become a failed
/// result, never an error).
pub fn run_config(c: &ConfigPoint, sources: &Sources, knobs: FixedKnobs, s: &EvalSettings) -> ConfigResult {
    match deployment_for(c, sources, knobs) {
        Ok((dep, origin, pn, dn)) => {
            let mut r = evaluate::evaluate(c, &dep, &origin.to_string(), s);
            r.prefill_profile = pn;
            r.decode_profile = dn;
            r
        }
        Err(e) => ConfigResult::failed(c.clone(), "unknown".into(), e.to_string()),
    }
}
