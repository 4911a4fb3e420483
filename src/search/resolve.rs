//! Profile resolution for a sweep: which performance data each (role, TP) of the space uses.
//!
//! Candidates, in order of preference:
//! 1. the shipped profiles (or the one given with `--profile`) matching the model (the
//!    manifest's `model` or `model_card`, case-insensitive), the GPU and, when given, the
//!    backend — measured ones (`measured-online`) before AIConfigurator estimates
//!    (`aic-estimate`), then shipped order;
//! 2. otherwise an analytic roofline profile synthesised for that TP from the model card and the
//!    GPU catalog ([`crate::analytic`]; uncalibrated default efficiency factors unless
//!    `--efficiency` is given), with the weight/KV dtypes of the matching manifest (else
//!    `--dtype`/`--kv-dtype`, default bf16).
//!
//! A configuration's `profile_origin` is the least-measured origin of its engines: `analytic`
//! if any engine is analytic, else `aic-estimate` if any is, else `measured-online`.

use crate::analytic::{synth_profile, Dtype, Efficiency, GpuCatalog, ModelSpec, Roofline, SynthOptions};
use crate::error::{Error, Result};
use crate::profile::{self, EngineProfile, Origin, Profile, Role};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub struct SourceRequest {
    /// Model id or model card id.
    pub model: Option<String>,
    /// GPU name.
    pub gpu: Option<String>,
    /// Backend filter.
    pub backend: Option<String>,
    /// A specific profile (shipped name or path).
    pub profile: Option<String>,
    /// Weight dtype for analytic profiles (overrides the manifest's).
    pub dtype: Option<String>,
    /// KV dtype for analytic profiles (overrides the manifest's).
    pub kv_dtype: Option<String>,
    /// Efficiency-factor file for analytic profiles.
    pub efficiency: Option<PathBuf>,
}

/// The performance data of one role at one TP.
#[derive(Debug, Clone)]
pub struct EngineSource {
    /// The engine (its role is `Agg` for the agg lookup).
    pub engine: EngineProfile,
    /// Where its numbers come from.
    pub origin: Origin,
    /// The profile's name.
    pub profile: String,
}

/// How to build analytic profiles when no measured data covers a TP.
#[derive(Debug, Clone)]
struct AnalyticBase {
    model: ModelSpec,
    gpu: crate::analytic::GpuSpec,
    weights: Dtype,
    kv: Dtype,
    eff: Efficiency,
}

/// The candidate profiles of a sweep and the analytic fallback.
#[derive(Debug)]
pub struct Sources {
    /// Model id shown in the output.
    pub model: String,
    /// GPU shown in the output.
    pub gpu: String,
    /// Backend shown in the output (`analytic` when only analytic data is used).
    pub backend: String,
    candidates: Vec<Profile>,
    analytic: std::result::Result<AnalyticBase, String>,
    cache: BTreeMap<(u8, u32), EngineSource>,
}

/// Backends `--backend` may name (besides those of the shipped profiles).
pub const KNOWN_BACKENDS: [&str; 3] = ["vllm", "trtllm", "sglang"];

fn origin_rank(o: Origin) -> u8 {
    match o {
        Origin::MeasuredOnline => 0,
        Origin::AicEstimate => 1,
        Origin::Unknown => 2,
        Origin::Analytic => 3,
    }
}

fn role_key(r: Role) -> u8 {
    match r {
        Role::Agg => 0,
        Role::Prefill => 1,
        Role::Decode => 2,
    }
}

fn dtype(flag: &str, s: &str) -> Result<Dtype> {
    Dtype::parse(s).ok_or_else(|| Error::usage(flag, format!("`{s}` is not a dtype; expected bf16, fp16 or fp8")))
}

impl Sources {
    /// Finds the candidate profiles and prepares the analytic fallback.
    pub fn new(req: &SourceRequest) -> Result<Sources> {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let mut candidates: Vec<(Profile, Option<profile::shipped::Manifest>)> = Vec::new();
        // Names that match no shipped profile and no catalog entry are the user's typo: say so
        // for the flag itself (not later, as a TP without data).
        if let Some(b) = req.backend.as_deref() {
            let shipped = profile::shipped::names()
                .into_iter()
                .filter_map(|n| profile::shipped::manifest(n).and_then(|m| m.ok()))
                .any(|m| eq(&m.backend, b));
            if !shipped && !KNOWN_BACKENDS.iter().any(|k| eq(k, b)) {
                return Err(Error::usage(
                    "--backend",
                    format!("unknown backend `{b}`; expected one of {}", KNOWN_BACKENDS.join(", ")),
                ));
            }
        }
        if let Some(g) = req.gpu.as_deref() {
            let shipped = profile::shipped::names()
                .into_iter()
                .filter_map(|n| profile::shipped::manifest(n).and_then(|m| m.ok()))
                .any(|m| eq(&m.gpu, g));
            if !shipped {
                GpuCatalog::load(None)?.get(g)?;
            }
        }
        if let Some(p) = &req.profile {
            let prof = profile::resolve(p)?;
            let man = profile::shipped::manifest(p).transpose()?;
            candidates.push((prof, man));
        } else {
            let model = req
                .model
                .as_deref()
                .ok_or_else(|| Error::usage("--model", "give --model (and --gpu) or --profile to say what to sweep"))?;
            for name in profile::shipped::names() {
                let Some(man) = profile::shipped::manifest(name).transpose()? else {
                    continue;
                };
                let model_ok = eq(&man.model, model) || man.model_card.as_deref().is_some_and(|c| eq(c, model));
                let gpu_ok = req.gpu.as_deref().is_none_or(|g| eq(&man.gpu, g));
                let backend_ok = req.backend.as_deref().is_none_or(|b| eq(&man.backend, b));
                if model_ok && gpu_ok && backend_ok {
                    if let Some(p) = profile::shipped::by_name(name) {
                        candidates.push((p?, Some(man)));
                    }
                }
            }
            if req.gpu.is_none() {
                let mut gpus: Vec<&str> = candidates.iter().map(|(p, _)| p.gpu.as_str()).collect();
                gpus.dedup();
                if gpus.len() != 1 {
                    return Err(Error::usage(
                        "--gpu",
                        if gpus.is_empty() {
                            format!("no shipped profile of `{model}`; give --gpu for an analytic profile")
                        } else {
                            format!(
                                "shipped profiles of `{model}` cover GPUs {}; choose one",
                                gpus.join(", ")
                            )
                        },
                    ));
                }
            }
        }
        // Stable sort: measured before estimates, then shipped order.
        candidates.sort_by_key(|(p, _)| origin_rank(p.origin));
        let first = candidates.first();
        let model = req
            .model
            .clone()
            .or_else(|| first.map(|(p, _)| p.model.clone()))
            .unwrap_or_else(|| "unknown".into());
        let gpu = req
            .gpu
            .clone()
            .or_else(|| first.map(|(p, _)| p.gpu.clone()))
            .unwrap_or_else(|| "unknown".into());
        let backend = req
            .backend
            .clone()
            .or_else(|| first.map(|(p, _)| p.backend.clone()))
            .unwrap_or_else(|| "analytic".into());
        let man = first.and_then(|(_, m)| m.clone());
        let analytic = (|| -> Result<AnalyticBase> {
            let card = man
                .as_ref()
                .and_then(|m| m.model_card.clone())
                .unwrap_or_else(|| model.clone());
            let spec = ModelSpec::resolve(&card)?;
            let catalog = GpuCatalog::load(None)?;
            let g = catalog.get(&gpu)?.clone();
            let w = match (&req.dtype, man.as_ref().and_then(|m| m.weight_dtype.clone())) {
                (Some(s), _) => dtype("--dtype", s)?,
                (None, Some(s)) => dtype("--dtype", &s)?,
                (None, None) => Dtype::Bf16,
            };
            let kv = match (&req.kv_dtype, man.as_ref().and_then(|m| m.kv_dtype.clone())) {
                (Some(s), _) => dtype("--kv-dtype", s)?,
                (None, Some(s)) => dtype("--kv-dtype", &s)?,
                (None, None) => Dtype::Bf16,
            };
            let eff = match &req.efficiency {
                None => Efficiency::default(),
                Some(p) => {
                    let f = crate::analytic::efficiency::EfficiencyFile::load(p)?;
                    let file = p.display().to_string();
                    f.pick(&g.name, req.backend.as_deref(), &file)?.0.efficiency
                }
            };
            Ok(AnalyticBase {
                model: spec,
                gpu: g,
                weights: w,
                kv,
                eff,
            })
        })();
        // An explicit --efficiency that fails is the user's error, not a missing fallback.
        if let (Some(_), Err(e)) = (&req.efficiency, &analytic) {
            return Err(Error::usage("--efficiency", e.to_string()));
        }
        // Nothing measured and nothing to synthesise: name what did not match, now.
        if let (true, None, Err(e)) = (candidates.is_empty(), &req.profile, &analytic) {
            let of_model: Vec<profile::shipped::Manifest> = profile::shipped::names()
                .into_iter()
                .filter_map(|n| profile::shipped::manifest(n).and_then(|m| m.ok()))
                .filter(|m| eq(&m.model, &model) || m.model_card.as_deref().is_some_and(|c| eq(c, &model)))
                .collect();
            let flag = if of_model.is_empty() {
                "--model"
            } else if req
                .gpu
                .as_deref()
                .is_some_and(|g| !of_model.iter().any(|m| eq(&m.gpu, g)))
            {
                "--gpu"
            } else {
                "--backend"
            };
            let shipped = if of_model.is_empty() {
                String::new()
            } else {
                let v: Vec<String> = of_model.iter().map(|m| format!("{} on {}", m.backend, m.gpu)).collect();
                format!(" (shipped profiles of this model: {})", v.join(", "))
            };
            return Err(Error::usage(
                flag,
                format!(
                    "no shipped profile matches model `{model}`, GPU {}, backend {}{shipped}, and no analytic \
                     profile can be built ({e})",
                    req.gpu.as_deref().unwrap_or("(any)"),
                    req.backend.as_deref().unwrap_or("(any)"),
                ),
            ));
        }
        Ok(Sources {
            model,
            gpu,
            backend,
            candidates: candidates.into_iter().map(|(p, _)| p).collect(),
            analytic: analytic.map_err(|e| e.to_string()),
            cache: BTreeMap::new(),
        })
    }

    /// TPs the candidate profiles have data for with `role` (sorted, deduplicated).
    pub fn measured_tps(&self, role: Role) -> Vec<u32> {
        let mut v: Vec<u32> = Vec::new();
        for p in &self.candidates {
            let tps = match role {
                Role::Prefill => p.prefill_tps(),
                Role::Decode => p.decode_tps(),
                Role::Agg => p
                    .prefill_tps()
                    .into_iter()
                    .filter(|t| p.agg_engine(Some(*t), "--tp").is_ok())
                    .collect(),
            };
            v.extend(tps);
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether any candidate profile is role-separated (prefill/decode engines only).
    pub fn any_role_separated(&self) -> bool {
        self.candidates.iter().any(|p| p.role_separated())
    }

    /// Whether there is at least one candidate profile.
    pub fn has_measured(&self) -> bool {
        !self.candidates.is_empty()
    }

    /// Resolves `role` at `tp` (cached): the first candidate with data, else analytic.
    pub fn resolve(&mut self, role: Role, tp: u32) -> Result<&EngineSource> {
        let key = (role_key(role), tp);
        if !self.cache.contains_key(&key) {
            let src = self.find(role, tp)?;
            self.cache.insert(key, src);
        }
        self.cache
            .get(&key)
            .ok_or_else(|| Error::usage("--tp", "internal: profile cache miss"))
    }

    /// The cached source of `role` at `tp` (after [`Sources::resolve`]).
    pub fn get(&self, role: Role, tp: u32) -> Option<&EngineSource> {
        self.cache.get(&(role_key(role), tp))
    }

    fn engine_of(p: &Profile, role: Role, tp: u32) -> Option<EngineProfile> {
        match role {
            Role::Agg => p.agg_engine(Some(tp), "--tp").ok(),
            Role::Prefill => p.prefill_engine(Some(tp), "--prefill-tp").ok().cloned(),
            Role::Decode => p.decode_engine(Some(tp), "--decode-tp").ok().cloned(),
        }
    }

    fn find(&self, role: Role, tp: u32) -> Result<EngineSource> {
        for p in &self.candidates {
            if let Some(e) = Self::engine_of(p, role, tp) {
                return Ok(EngineSource {
                    engine: e,
                    origin: p.origin,
                    profile: p.name.clone(),
                });
            }
        }
        self.analytic_source(role, tp)
    }

    /// The analytic roofline estimate of `role` at `tp` (never a measured candidate, never
    /// cached): what a static estimator knows before anything is deployed.
    pub fn analytic_source(&self, role: Role, tp: u32) -> Result<EngineSource> {
        let base = self.analytic.as_ref().map_err(|why| {
            let flag = match role {
                Role::Agg => "--tp",
                Role::Prefill => "--prefill-tp",
                Role::Decode => "--decode-tp",
            };
            Error::usage(
                flag,
                format!("no measured {role} data at TP {tp} and no analytic fallback ({why})"),
            )
        })?;
        let r = Roofline::new(
            base.model.clone(),
            base.gpu.clone(),
            tp,
            base.weights,
            base.kv,
            base.eff,
        )?;
        let (p, _) = synth_profile(&r, &SynthOptions::default())?;
        let e = Self::engine_of(&p, role, tp)
            .ok_or_else(|| Error::usage("--tp", format!("the analytic profile at TP {tp} has no {role} engine")))?;
        Ok(EngineSource {
            engine: e,
            origin: Origin::Analytic,
            profile: p.name,
        })
    }
}

/// The least-measured of two origins (see the module docs).
pub fn weaker(a: Origin, b: Origin) -> Origin {
    if origin_rank(a) >= origin_rank(b) {
        a
    } else {
        b
    }
}
