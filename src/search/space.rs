//! The search space of `slasim sweep`: lists of values per deployment knob, from flags and/or a
//! TOML file, expanded into a deterministic list of configurations.
//!
//! # Space file (`--space FILE.toml`, every key optional, unknown keys rejected)
//! ```toml
//! model = "nvidia/Llama-3.3-70B-Instruct-FP8"  # model id or model card (Hugging Face id)
//! gpu = "h100_sxm"                              # AIConfigurator GPU name
//! backend = "vllm"                              # restricts the measured profiles considered
//! profile = "llama-3.3-70b-fp8/h100/vllm"       # use this profile (instead of model/gpu/backend)
//! mode = ["agg", "disagg"]
//! tp = [2, 4, 8]                # agg: engine TP
//! replicas = [1]                # agg: engine replicas
//! prefill_tp = [1, 2]           # disagg
//! decode_tp = [1, 2, 4]         # disagg
//! prefill_workers = [1, 2]      # disagg
//! decode_workers = [1]          # disagg
//! max_num_seqs = [8, 64, 256]   # batch-size cap per engine
//! scheduler = ["vllm"]          # "vllm" | "prefill-first"
//! gpu_budget = 16               # drop configurations using more GPUs than this
//! max_batched_tokens = 8192     # per-iteration token budget (one value)
//! router = "least-loaded"       # router policy (one value)
//! ```
//! Flags given on the command line replace the file's value for the same key.
//!
//! # Enumeration order
//! Modes in the order given; for `agg`: TP × replicas; for `disagg`: prefill TP × prefill
//! workers × decode TP × decode workers; innermost `max_num_seqs` × scheduler. Duplicate values
//! are dropped (first occurrence kept). The position of a configuration in this list is its
//! `index`, which sharding (`--shard I/N` takes the indices ≡ I mod N) and merging rely on.

use crate::error::{read_file, Error, Result};
use crate::sim::deployment::{Mode, SchedulerKind};
use crate::sim::router::RouterPolicy;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Most configurations one sweep may expand to (a guard against typos such as `--tp 1,2,...`
/// multiplied into billions).
pub const MAX_CONFIGS: usize = 1_000_000;

/// Search-space settings, as read from a space file or flags; `None` = not given.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpaceSpec {
    /// Model id or model-card id.
    pub model: Option<String>,
    /// GPU name (AIConfigurator style).
    pub gpu: Option<String>,
    /// Backend filter for measured profiles.
    pub backend: Option<String>,
    /// A profile (shipped name or path) to use instead of matching by model/GPU/backend.
    pub profile: Option<String>,
    /// Serving modes.
    pub mode: Option<Vec<Mode>>,
    /// Agg engine TPs (GPUs per engine).
    pub tp: Option<Vec<u32>>,
    /// Agg replica counts.
    pub replicas: Option<Vec<u32>>,
    /// Disagg prefill-worker TPs.
    pub prefill_tp: Option<Vec<u32>>,
    /// Disagg decode-worker TPs.
    pub decode_tp: Option<Vec<u32>>,
    /// Disagg prefill-worker counts.
    pub prefill_workers: Option<Vec<u32>>,
    /// Disagg decode-worker counts.
    pub decode_workers: Option<Vec<u32>>,
    /// Batch-size caps per engine, sequences.
    pub max_num_seqs: Option<Vec<u32>>,
    /// Replica schedulers.
    pub scheduler: Option<Vec<SchedulerKind>>,
    /// Largest total GPU count of a configuration, GPUs.
    pub gpu_budget: Option<u32>,
    /// Per-iteration token budget, tokens (one value for all configurations).
    pub max_batched_tokens: Option<u32>,
    /// Router policy (one value for all configurations).
    pub router: Option<RouterPolicy>,
}

impl SpaceSpec {
    /// Reads a space TOML file (unknown keys, wrong types and empty lists are errors naming
    /// the file and key).
    pub fn load(path: &Path) -> Result<SpaceSpec> {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::data(&file, "(file)", "is not UTF-8 text"))?;
        let spec: SpaceSpec = toml::from_str(text).map_err(|e| Error::toml(&file, text, &e))?;
        spec.check_lists(&file)?;
        Ok(spec)
    }

    /// `self` with every value set in `over` replacing ours.
    pub fn overridden_by(&self, over: &SpaceSpec) -> SpaceSpec {
        macro_rules! pick {
            ($($f:ident),*) => { SpaceSpec { $($f: over.$f.clone().or_else(|| self.$f.clone())),* } };
        }
        pick!(
            model,
            gpu,
            backend,
            profile,
            mode,
            tp,
            replicas,
            prefill_tp,
            decode_tp,
            prefill_workers,
            decode_workers,
            max_num_seqs,
            scheduler,
            gpu_budget,
            max_batched_tokens,
            router
        )
    }

    /// Rejects empty lists and zero/absurd values; `file` names the source in errors (a file
    /// name, or `--flags`).
    pub fn check_lists(&self, file: &str) -> Result<()> {
        let lists: [(&str, &Option<Vec<u32>>); 7] = [
            ("tp", &self.tp),
            ("replicas", &self.replicas),
            ("prefill_tp", &self.prefill_tp),
            ("decode_tp", &self.decode_tp),
            ("prefill_workers", &self.prefill_workers),
            ("decode_workers", &self.decode_workers),
            ("max_num_seqs", &self.max_num_seqs),
        ];
        for (key, v) in lists {
            if let Some(v) = v {
                if v.is_empty() {
                    return Err(Error::data(file, key, "is an empty list; give at least one value"));
                }
                if let Some(bad) = v.iter().find(|&&x| x == 0 || x > 100_000) {
                    return Err(Error::data(
                        file,
                        key,
                        format!("values must be in 1..=100000, got {bad}"),
                    ));
                }
            }
        }
        if matches!(&self.mode, Some(v) if v.is_empty()) {
            return Err(Error::data(
                file,
                "mode",
                "is an empty list; give \"agg\" and/or \"disagg\"",
            ));
        }
        if matches!(&self.scheduler, Some(v) if v.is_empty()) {
            return Err(Error::data(
                file,
                "scheduler",
                "is an empty list; give \"vllm\" and/or \"prefill-first\"",
            ));
        }
        if self.gpu_budget == Some(0) {
            return Err(Error::data(file, "gpu_budget", "must be ≥ 1 GPU"));
        }
        if self.max_batched_tokens == Some(0) {
            return Err(Error::data(file, "max_batched_tokens", "must be ≥ 1 token"));
        }
        Ok(())
    }
}

/// One configuration of the space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPoint {
    /// Position in the enumeration (0-based).
    pub index: usize,
    /// Stable identifier, e.g. `agg-tp4-r1-s256-vllm`, `disagg-p2xtp1-d1xtp4-s64-vllm`.
    pub id: String,
    /// Serving mode.
    pub mode: Mode,
    /// Agg: engine TP; disagg: prefill-worker TP.
    pub prefill_tp: u32,
    /// Agg: replicas; disagg: prefill workers.
    pub prefill_workers: u32,
    /// Agg: engine TP; disagg: decode-worker TP.
    pub decode_tp: u32,
    /// Agg: replicas; disagg: decode workers.
    pub decode_workers: u32,
    /// Batch-size cap per engine, sequences.
    pub max_num_seqs: u32,
    /// Scheduler.
    pub scheduler: SchedulerKind,
}

impl ConfigPoint {
    /// GPUs the configuration uses.
    pub fn num_gpus(&self) -> u64 {
        match self.mode {
            Mode::Agg => u64::from(self.prefill_tp) * u64::from(self.prefill_workers),
            Mode::Disagg => {
                u64::from(self.prefill_tp) * u64::from(self.prefill_workers)
                    + u64::from(self.decode_tp) * u64::from(self.decode_workers)
            }
        }
    }
}

fn dedup<T: PartialEq + Copy>(v: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for &x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// The value lists the enumeration uses, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceLists {
    /// Modes.
    pub modes: Vec<Mode>,
    /// Agg TPs.
    pub tp: Vec<u32>,
    /// Agg replicas.
    pub replicas: Vec<u32>,
    /// Disagg prefill TPs.
    pub prefill_tp: Vec<u32>,
    /// Disagg decode TPs.
    pub decode_tp: Vec<u32>,
    /// Disagg prefill workers.
    pub prefill_workers: Vec<u32>,
    /// Disagg decode workers.
    pub decode_workers: Vec<u32>,
    /// Batch-size caps.
    pub max_num_seqs: Vec<u32>,
    /// Schedulers.
    pub schedulers: Vec<SchedulerKind>,
    /// GPU budget.
    pub gpu_budget: Option<u32>,
}

impl SpaceLists {
    /// Fills unset lists: modes from `default_modes`; agg TPs from `default_tps.0`; disagg
    /// prefill/decode TPs from `tp` when given, else `default_tps.1` / `default_tps.2`;
    /// workers/replicas 1; `max_num_seqs` 256 (vLLM's default); scheduler vllm.
    pub fn from_spec(s: &SpaceSpec, default_modes: &[Mode], default_tps: (&[u32], &[u32], &[u32])) -> SpaceLists {
        let or = |v: &Option<Vec<u32>>, d: &[u32]| dedup(v.as_deref().unwrap_or(d));
        SpaceLists {
            modes: dedup(s.mode.as_deref().unwrap_or(default_modes)),
            tp: or(&s.tp, default_tps.0),
            replicas: or(&s.replicas, &[1]),
            prefill_tp: or(&s.prefill_tp, s.tp.as_deref().unwrap_or(default_tps.1)),
            decode_tp: or(&s.decode_tp, s.tp.as_deref().unwrap_or(default_tps.2)),
            prefill_workers: or(&s.prefill_workers, &[1]),
            decode_workers: or(&s.decode_workers, &[1]),
            max_num_seqs: or(&s.max_num_seqs, &[crate::sim::deployment::DEFAULT_MAX_NUM_SEQS]),
            schedulers: dedup(s.scheduler.as_deref().unwrap_or(&[SchedulerKind::Vllm])),
            gpu_budget: s.gpu_budget,
        }
    }

    /// The lists as JSON (for the sweep's settings block).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "mode": self.modes.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "tp": self.tp, "replicas": self.replicas,
            "prefill_tp": self.prefill_tp, "decode_tp": self.decode_tp,
            "prefill_workers": self.prefill_workers, "decode_workers": self.decode_workers,
            "max_num_seqs": self.max_num_seqs,
            "scheduler": self.schedulers.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "gpu_budget": self.gpu_budget,
        })
    }

    /// Expands the lists into configurations (see the module docs for the order), keeping only
    /// those within the GPU budget. `source` names the space in errors. Errors: more than
    /// [`MAX_CONFIGS`] configurations, or a budget smaller than every configuration.
    pub fn enumerate(&self, source: &str) -> Result<Vec<ConfigPoint>> {
        let per_tail = self.max_num_seqs.len() * self.schedulers.len();
        let mut total: usize = 0;
        for m in &self.modes {
            let n = match m {
                Mode::Agg => self.tp.len().saturating_mul(self.replicas.len()),
                Mode::Disagg => self
                    .prefill_tp
                    .len()
                    .saturating_mul(self.prefill_workers.len())
                    .saturating_mul(self.decode_tp.len())
                    .saturating_mul(self.decode_workers.len()),
            };
            total = total.saturating_add(n.saturating_mul(per_tail));
        }
        if total > MAX_CONFIGS {
            return Err(Error::data(
                source,
                "(space)",
                format!("expands to {total} configurations; at most {MAX_CONFIGS} per sweep (split it)"),
            ));
        }
        let mut shapes: Vec<(Mode, u32, u32, u32, u32)> = Vec::new();
        for &m in &self.modes {
            match m {
                Mode::Agg => {
                    for &t in &self.tp {
                        for &r in &self.replicas {
                            shapes.push((m, t, r, t, r));
                        }
                    }
                }
                Mode::Disagg => {
                    for &pt in &self.prefill_tp {
                        for &pw in &self.prefill_workers {
                            for &dt in &self.decode_tp {
                                for &dw in &self.decode_workers {
                                    shapes.push((m, pt, pw, dt, dw));
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        let mut smallest = u64::MAX;
        for (mode, pt, pw, dt, dw) in shapes {
            for &s in &self.max_num_seqs {
                for &sched in &self.schedulers {
                    let id = match mode {
                        Mode::Agg => format!("agg-tp{pt}-r{pw}-s{s}-{sched}"),
                        Mode::Disagg => format!("disagg-p{pw}xtp{pt}-d{dw}xtp{dt}-s{s}-{sched}"),
                    };
                    let c = ConfigPoint {
                        index: 0,
                        id,
                        mode,
                        prefill_tp: pt,
                        prefill_workers: pw,
                        decode_tp: dt,
                        decode_workers: dw,
                        max_num_seqs: s,
                        scheduler: sched,
                    };
                    smallest = smallest.min(c.num_gpus());
                    if self.gpu_budget.is_none_or(|b| c.num_gpus() <= u64::from(b)) {
                        out.push(c);
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(match self.gpu_budget {
                Some(b) if smallest != u64::MAX => Error::data(
                    source,
                    "gpu_budget",
                    format!("{b} GPU(s) is smaller than the smallest configuration of the space ({smallest} GPUs)"),
                ),
                _ => Error::data(source, "(space)", "the space has no configurations"),
            });
        }
        for (i, c) in out.iter_mut().enumerate() {
            c.index = i;
        }
        Ok(out)
    }
}

/// A shard selector `I/N` (0-based `I < N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard's index, 0-based.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// The whole space as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` (0 ≤ I < N ≤ 100000).
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || Error::usage("--shard", format!("expected I/N with 0 ≤ I < N (0-based), got `{s}`"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count || count > 100_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether configuration `index` belongs to this shard (round-robin: `index mod N == I`).
    pub fn owns(&self, index: usize) -> bool {
        index % self.count as usize == self.index as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerates_in_order_with_budget() {
        let spec = SpaceSpec {
            mode: Some(vec![Mode::Agg, Mode::Disagg]),
            tp: Some(vec![2, 4, 2]),
            prefill_tp: Some(vec![1]),
            decode_tp: Some(vec![1, 2]),
            gpu_budget: Some(3),
            ..Default::default()
        };
        let l = SpaceLists::from_spec(&spec, &[Mode::Agg], (&[1], &[1], &[1]));
        let c = l.enumerate("test").unwrap();
        let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "agg-tp2-r1-s256-vllm",
                "disagg-p1xtp1-d1xtp1-s256-vllm",
                "disagg-p1xtp1-d1xtp2-s256-vllm"
            ]
        );
        assert_eq!(c[2].index, 2);
        let tight = SpaceLists {
            gpu_budget: Some(1),
            ..l
        };
        let e = tight.enumerate("space.toml").unwrap_err().to_string();
        assert!(e.contains("gpu_budget") && e.contains("smallest"), "{e}");
    }

    #[test]
    fn shard_parse_and_ownership() {
        let s = Shard::parse("1/4").unwrap();
        assert!(s.owns(1) && s.owns(5) && !s.owns(4));
        for bad in ["4/4", "x/2", "1", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_lists_rejected() {
        let spec = SpaceSpec {
            tp: Some(vec![]),
            ..Default::default()
        };
        let e = spec.check_lists("f.toml").unwrap_err().to_string();
        assert!(e.contains("f.toml") && e.contains("tp") && e.contains("empty"), "{e}");
    }
}
