//! Efficiency factors of the roofline model: how far real kernels and runtimes fall short of the
//! GPU's peaks, plus fixed overheads. Fitted per GPU and backend by `slasim profile
//! fit-roofline` and stored in an efficiency JSON file (`EFF.json`) that `profile synth
//! --efficiency` reads.
//!
//! # EFF.json
//! ```json
//! {
//!   "schema": "slasim.roofline-efficiency.v1",
//!   "entries": [
//!     {"gpu": "h100_sxm", "backend": "vllm", "efficiency": {"gemm": 0.62, "...": 0},
//!      "fitted_on": ["llama-3.3-70b-fp8/h100/vllm TP2 agg"], "mape_pct": {"ttft": 4.1, "itl": 6.3}}
//!   ]
//! }
//! ```
//! A bare efficiency object (`{"gemm": 0.6, …}`, missing keys take the defaults) is accepted
//! too.

use crate::error::{read_file, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Schema tag written into efficiency files.
pub const SCHEMA: &str = "slasim.roofline-efficiency.v1";

/// Efficiency factors and overheads (see the module docs of [`super::step`] for where each one
/// enters the step-time formulas). Fractions are of the GPU catalog's peaks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Efficiency {
    /// Fraction (0, 1] of the dense BF16 tensor peak that large 16-bit linear-layer GEMMs reach.
    pub gemm: f64,
    /// Fraction (0, 1] of the dense FP8 tensor peak that large FP8 (W8A8) GEMMs reach (FP8
    /// GEMMs, with their scaling epilogues, reach a smaller share of their doubled peak).
    pub gemm_fp8: f64,
    /// GEMM row count (tokens in the batch) at which GEMM efficiency is half of `gemm`, tokens:
    /// efficiency(T) = gemm · T / (T + gemm_half_tokens) (small GEMMs cannot fill the GPU).
    pub gemm_half_tokens: f64,
    /// Fraction (0, 1] of the BF16 tensor peak that prefill attention reaches.
    pub attn: f64,
    /// Fraction (0, 1] of peak memory bandwidth reached streaming weights and activations.
    pub mem: f64,
    /// Fraction (0, 1] of peak memory bandwidth reached reading the KV cache in decode attention.
    pub attn_mem: f64,
    /// Fraction (0, 1] of the link bandwidth that tensor-parallel all-reduces reach.
    pub comm: f64,
    /// Fixed latency of one all-reduce, µs (TP > 1 only; two per layer).
    pub allreduce_us: f64,
    /// Fixed cost per layer per forward pass (kernel launches and gaps), µs.
    pub layer_us: f64,
    /// Fixed cost per engine iteration (scheduling, sampling, launch), ms.
    pub step_ms: f64,
    /// Cost per running sequence per decode iteration (CPU bookkeeping, sampling,
    /// detokenisation), µs.
    pub seq_us: f64,
    /// Fixed per-request TTFT overhead outside the engine (frontend, tokenisation, first-token
    /// return), ms. Part of the prefill curve's TTFT, as in measured profiles.
    pub ttft_ms: f64,
    /// Measurement protocol, not engine speed: the share of one prefill (of the row's ISL) that
    /// each additional concurrent request adds to the ITL a Dynamo profiler decode sweep
    /// measures. The sweep runs a closed loop at concurrency `n` with OSL 500, so while one
    /// request decodes its 499 tokens the other `n − 1` are replaced and their prompts prefilled
    /// in between its steps: ITL = step(n) + interference · (n − 1) · prefill(ISL); a full share
    /// is 1/499 ≈ 0.002. Only used to compare with measured decode surfaces and for
    /// `synth --profiler-decode`.
    pub interference: f64,
}

/// Uncalibrated defaults: typical values from public benchmarks, used before any fit.
///
/// * `gemm` 0.70 — cuBLAS/CUTLASS large GEMMs reach about 65–80 % of the dense tensor peak on
///   Hopper (NVIDIA's published GEMM benchmarks; ~700 of 989 BF16 TFLOPS);
/// * `gemm_fp8` 0.60 — FP8 GEMMs reach about 1,100–1,400 of 1,979 dense TFLOPS on H100
///   (cuBLASLt/CUTLASS FP8 benchmarks);
/// * `gemm_half_tokens` 128 — Hopper GEMM tiles are 64–128 rows: a GEMM of fewer rows than one
///   tile leaves most of it idle;
/// * `attn` 0.50 — FlashAttention-2 reaches 35–50 % and FlashAttention-3 ~75 % of the BF16
///   peak on H100 (FlashAttention-3 paper, Shah et al. 2024);
/// * `mem` 0.80 — streaming kernels reach 80–90 % of HBM peak (STREAM-like copy on H100);
/// * `attn_mem` 0.60 — paged decode attention (PagedAttention, FlashInfer) reads the KV cache at
///   roughly 50–70 % of HBM peak;
/// * `comm` 0.75 — NCCL all-reduce bus bandwidth on 8×H100 NVLink is ~340–370 GB/s of 450
///   (nccl-tests);
/// * `allreduce_us` 10 — NCCL small-message all-reduce latency on NVLink, ~8–15 µs;
/// * `layer_us` 2 — a dozen kernels per layer at a few hundred ns each under CUDA graphs;
/// * `step_ms` 1.0, `seq_us` 2, `ttft_ms` 5 — order of magnitude of vLLM/SGLang scheduler,
///   sampling and HTTP-frontend costs reported in their performance discussions;
/// * `interference` 1e-5 (the bottom of its range: none) — the uncalibrated model predicts
///   engine speed, not a particular measurement protocol; fits find 0.0003–0.001 on the shipped
///   vLLM surfaces (the full share would be 1/499 ≈ 0.002).
impl Default for Efficiency {
    fn default() -> Self {
        Efficiency {
            gemm: 0.70,
            gemm_fp8: 0.60,
            gemm_half_tokens: 128.0,
            attn: 0.50,
            mem: 0.80,
            attn_mem: 0.60,
            comm: 0.75,
            allreduce_us: 10.0,
            layer_us: 2.0,
            step_ms: 1.0,
            seq_us: 2.0,
            ttft_ms: 5.0,
            interference: 1e-5,
        }
    }
}

/// One efficiency factor as the fitter sees it: name, search range (searched on a log axis) and
/// accessors.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Field name in the JSON.
    pub name: &'static str,
    /// Smallest value searched.
    pub lo: f64,
    /// Largest value searched.
    pub hi: f64,
    /// Whether the fit's prior pulls this factor toward its initial value (false: flat prior,
    /// for factors whose default is a placeholder rather than a typical value).
    pub prior: bool,
    get: fn(&Efficiency) -> f64,
    set: fn(&mut Efficiency, f64),
}

impl Param {
    /// Current value in `e`.
    pub fn get(&self, e: &Efficiency) -> f64 {
        (self.get)(e)
    }
    /// Sets the value in `e`.
    pub fn set(&self, e: &mut Efficiency, v: f64) {
        (self.set)(e, v)
    }
    /// Value → position in [0, 1] on the log axis of the search range.
    pub fn to_unit(&self, v: f64) -> f64 {
        ((v.clamp(self.lo, self.hi)).ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
    }
    /// Position in [0, 1] (clamped) → value.
    pub fn from_unit(&self, u: f64) -> f64 {
        (self.lo.ln() + u.clamp(0.0, 1.0) * (self.hi.ln() - self.lo.ln())).exp()
    }
}

macro_rules! param {
    ($f:ident, $lo:expr, $hi:expr) => {
        param!($f, $lo, $hi, true)
    };
    ($f:ident, $lo:expr, $hi:expr, $prior:expr) => {
        Param {
            name: stringify!($f),
            lo: $lo,
            hi: $hi,
            prior: $prior,
            get: |e| e.$f,
            set: |e, v| e.$f = v,
        }
    };
}

/// Every factor with its search range. Fractions range over [0.02, 1] (a kernel reaching < 2 %
/// of peak would be a modelling error); overheads over four to five decades around typical values.
pub const PARAMS: [Param; 13] = [
    param!(gemm, 0.02, 1.0),
    param!(gemm_fp8, 0.02, 1.0),
    param!(gemm_half_tokens, 1.0, 8192.0),
    param!(attn, 0.02, 1.0),
    param!(mem, 0.05, 1.0),
    param!(attn_mem, 0.02, 1.0),
    param!(comm, 0.02, 1.0),
    param!(allreduce_us, 0.5, 500.0),
    param!(layer_us, 0.05, 1000.0),
    param!(step_ms, 0.01, 100.0),
    param!(seq_us, 0.05, 2000.0),
    param!(ttft_ms, 0.05, 500.0),
    param!(interference, 1e-5, 0.02, false),
];

impl Efficiency {
    /// Checks every factor is in its range; `file` names the source in errors.
    pub fn validate(&self, file: &str) -> Result<()> {
        for p in PARAMS {
            let v = p.get(self);
            if !(v.is_finite() && v >= p.lo * 0.999_999 && v <= p.hi * 1.000_001) {
                return Err(Error::data(
                    file,
                    p.name,
                    format!("is {v}; expected a value in [{}, {}]", p.lo, p.hi),
                ));
            }
        }
        Ok(())
    }
}

/// One entry of an efficiency file: factors fitted for a GPU and backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyEntry {
    /// GPU name (catalog name).
    pub gpu: String,
    /// Serving backend (`vllm`, `trtllm`, `sglang`).
    pub backend: String,
    /// The factors.
    pub efficiency: Efficiency,
    /// What the factors were fitted on (free text per engine or data set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fitted_on: Vec<String>,
    /// Error of the fit on its own data, percent (free-form map).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mape_pct: Option<serde_json::Value>,
}

/// An efficiency file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyFile {
    /// [`SCHEMA`].
    pub schema: String,
    /// Entries, one per GPU/backend.
    pub entries: Vec<EfficiencyEntry>,
}

impl EfficiencyFile {
    /// Reads an efficiency file (or a bare efficiency object, returned as one entry with GPU and
    /// backend `*`).
    pub fn load(path: &Path) -> Result<EfficiencyFile> {
        let bytes = read_file(path)?;
        let file = path.display().to_string();
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::data(&file, "(json)", format!("is not valid JSON: {e}")))?;
        let f = if v.get("entries").is_some() {
            serde_json::from_value::<EfficiencyFile>(v)
                .map_err(|e| Error::data(&file, "entries", format!("is not an efficiency file: {e}")))?
        } else {
            let e: Efficiency = serde_json::from_value(v)
                .map_err(|e| Error::data(&file, "(json)", format!("is not an efficiency object: {e}")))?;
            EfficiencyFile {
                schema: SCHEMA.into(),
                entries: vec![EfficiencyEntry {
                    gpu: "*".into(),
                    backend: "*".into(),
                    efficiency: e,
                    fitted_on: vec![],
                    mape_pct: None,
                }],
            }
        };
        if f.entries.is_empty() {
            return Err(Error::data(&file, "entries", "is empty; expected at least one entry"));
        }
        for e in &f.entries {
            e.efficiency
                .validate(&format!("{file} (entry {}/{})", e.gpu, e.backend))?;
        }
        Ok(f)
    }

    /// The entry for `gpu` and `backend` (backend `None`: any). Preference: exact GPU and
    /// backend, then the same backend on another GPU (the factors transfer; the catalog supplies
    /// the new GPU's peaks), then the only entry. Returns the entry and whether it matched the
    /// GPU exactly.
    pub fn pick(&self, gpu: &str, backend: Option<&str>, file: &str) -> Result<(&EfficiencyEntry, bool)> {
        let be_ok = |e: &EfficiencyEntry| backend.is_none_or(|b| e.backend == b || e.backend == "*");
        let exact: Vec<&EfficiencyEntry> = self
            .entries
            .iter()
            .filter(|e| (e.gpu == gpu || e.gpu == "*") && be_ok(e))
            .collect();
        if exact.len() == 1 {
            return Ok((exact[0], true));
        }
        if exact.len() > 1 {
            return Err(Error::usage(
                "--backend",
                format!(
                    "{file} has entries for {gpu} with backends {}; choose one with --backend",
                    exact.iter().map(|e| e.backend.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let same_backend: Vec<&EfficiencyEntry> = self.entries.iter().filter(|e| be_ok(e)).collect();
        if same_backend.len() == 1 || (backend.is_some() && !same_backend.is_empty()) {
            return Ok((same_backend[0], false));
        }
        if self.entries.len() == 1 {
            return Ok((&self.entries[0], false));
        }
        Err(Error::usage(
            "--efficiency",
            format!(
                "{file} has no entry for GPU {gpu}{}; it has {}",
                backend.map(|b| format!(" and backend {b}")).unwrap_or_default(),
                self.entries
                    .iter()
                    .map(|e| format!("{}/{}", e.gpu, e.backend))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}
