//! The GPU catalog: peak compute, memory and interconnect of the GPUs the roofline model knows.
//!
//! The built-in catalog is `profiles/gpus.toml` (embedded in the binary; datasheet sources are
//! noted per entry). `--gpu-catalog FILE.toml` adds entries or replaces built-in ones by name,
//! in the same schema:
//!
//! ```toml
//! [[gpu]]
//! name = "h100_sxm"      # AIConfigurator system name
//! bf16_tflops = 989.4    # dense BF16 tensor peak, 1e12 FLOP/s
//! fp8_tflops = 1978.9    # dense FP8 tensor peak (omit: no FP8 tensor cores)
//! hbm_gib = 79.65        # device memory the driver reports, GiB
//! hbm_tbps = 3.35        # peak memory bandwidth, 1e12 B/s
//! link_gbps = 450.0      # per-direction all-reduce link bandwidth, 1e9 B/s
//! link = "NVLink 4"      # optional, text
//! source = "datasheet"   # optional, text
//! ```

use super::model::Dtype;
use crate::error::{read_file, Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in catalog file (TOML text).
pub const BUILTIN_CATALOG: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/gpus.toml"));

/// Accepted range of `bf16_tflops` / `fp8_tflops`, TFLOP/s: from a small accelerator to 100×
/// a B200 (outside it, step times leave the simulation horizon or are meaningless).
pub const TFLOPS_RANGE: (f64, f64) = (1.0, 1e6);
/// Accepted range of `hbm_gib`, GiB.
pub const HBM_GIB_RANGE: (f64, f64) = (1.0, 1e5);
/// Accepted range of `hbm_tbps`, TB/s.
pub const HBM_TBPS_RANGE: (f64, f64) = (0.01, 1e3);
/// Accepted range of `link_gbps`, GB/s.
pub const LINK_GBPS_RANGE: (f64, f64) = (0.1, 1e5);

/// Peak capabilities of one GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// AIConfigurator-style name (`h100_sxm`).
    pub name: String,
    /// Dense BF16 tensor-core peak, TFLOP/s (1e12 FLOP/s).
    pub bf16_tflops: f64,
    /// Dense FP8 tensor-core peak, TFLOP/s; `None` when the GPU has no FP8 tensor cores.
    #[serde(default)]
    pub fp8_tflops: Option<f64>,
    /// Device memory the driver reports, GiB (2^30 bytes).
    pub hbm_gib: f64,
    /// Peak device-memory bandwidth, TB/s (1e12 bytes/s).
    pub hbm_tbps: f64,
    /// Per-GPU, per-direction bandwidth of the link tensor-parallel all-reduces run on, GB/s
    /// (1e9 bytes/s).
    pub link_gbps: f64,
    /// Name of the link (documentation).
    #[serde(default)]
    pub link: Option<String>,
    /// Where the numbers come from (documentation).
    #[serde(default)]
    pub source: Option<String>,
}

impl GpuSpec {
    /// Peak dense tensor FLOP/s for GEMMs with `weights` of this dtype: the FP8 peak for FP8
    /// weights on a GPU with FP8 tensor cores (W8A8), else the BF16 peak (16-bit weights, or
    /// weight-only FP8 that dequantises to BF16 for the math).
    pub fn gemm_flops(&self, weights: Dtype) -> f64 {
        match (weights, self.fp8_tflops) {
            (Dtype::Fp8, Some(f)) => f * 1e12,
            _ => self.bf16_tflops * 1e12,
        }
    }

    /// Peak dense BF16 FLOP/s (attention math runs in BF16).
    pub fn bf16_flops(&self) -> f64 {
        self.bf16_tflops * 1e12
    }

    /// Device memory, bytes.
    pub fn hbm_bytes(&self) -> f64 {
        self.hbm_gib * 1024.0 * 1024.0 * 1024.0
    }

    /// Peak memory bandwidth, bytes/s.
    pub fn hbm_bytes_per_s(&self) -> f64 {
        self.hbm_tbps * 1e12
    }

    /// Per-direction all-reduce link bandwidth, bytes/s.
    pub fn link_bytes_per_s(&self) -> f64 {
        self.link_gbps * 1e9
    }

    fn validate(&self, file: &str) -> Result<()> {
        let key = |k: &str| format!("gpu `{}`.{k}", self.name);
        if self.name.trim().is_empty() {
            return Err(Error::data(file, "gpu.name", "is empty; expected a GPU name"));
        }
        for (k, v, (lo, hi), unit) in [
            ("bf16_tflops", Some(self.bf16_tflops), TFLOPS_RANGE, "TFLOP/s"),
            ("fp8_tflops", self.fp8_tflops, TFLOPS_RANGE, "TFLOP/s"),
            ("hbm_gib", Some(self.hbm_gib), HBM_GIB_RANGE, "GiB"),
            ("hbm_tbps", Some(self.hbm_tbps), HBM_TBPS_RANGE, "TB/s"),
            ("link_gbps", Some(self.link_gbps), LINK_GBPS_RANGE, "GB/s"),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && (lo..=hi).contains(&v)) {
                    return Err(Error::data(
                        file,
                        key(k),
                        format!("is {v}; expected a physical value in [{lo}, {hi}] {unit}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    gpu: Vec<GpuSpec>,
}

/// A set of GPUs by name.
#[derive(Debug, Clone)]
pub struct GpuCatalog {
    /// The GPUs, in file order (built-in first, then user entries not replacing one).
    pub gpus: Vec<GpuSpec>,
}

fn parse_catalog(file: &str, text: &str) -> Result<Vec<GpuSpec>> {
    let c: CatalogFile = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
    for g in &c.gpu {
        g.validate(file)?;
    }
    Ok(c.gpu)
}

impl GpuCatalog {
    /// The built-in catalog (`profiles/gpus.toml`).
    pub fn builtin() -> Result<GpuCatalog> {
        Ok(GpuCatalog {
            gpus: parse_catalog("profiles/gpus.toml", BUILTIN_CATALOG)?,
        })
    }

    /// The built-in catalog extended (and overridden by name) by the user's TOML file, if any.
    pub fn load(user: Option<&Path>) -> Result<GpuCatalog> {
        let mut c = GpuCatalog::builtin()?;
        if let Some(p) = user {
            let bytes = read_file(p)?;
            let file = p.display().to_string();
            let text = std::str::from_utf8(&bytes).map_err(|_| Error::data(&file, "(file)", "is not UTF-8 text"))?;
            for g in parse_catalog(&file, text)? {
                match c.gpus.iter_mut().find(|x| x.name == g.name) {
                    Some(x) => *x = g,
                    None => c.gpus.push(g),
                }
            }
        }
        Ok(c)
    }

    /// The GPU called `name` (exact, else case-insensitive with `-` read as `_`).
    pub fn get(&self, name: &str) -> Result<&GpuSpec> {
        let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
        self.gpus
            .iter()
            .find(|g| g.name == name)
            .or_else(|| self.gpus.iter().find(|g| norm(&g.name) == norm(name)))
            .ok_or_else(|| {
                Error::usage(
                    "--gpu",
                    format!(
                        "unknown GPU `{name}`; known: {} (add more with --gpu-catalog FILE.toml)",
                        self.gpus.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_aic_names() {
        let c = GpuCatalog::builtin().unwrap();
        for n in ["h100_sxm", "h200_sxm", "a100_sxm", "a100_pcie", "l40s", "b200_sxm"] {
            assert!(c.get(n).is_ok(), "{n}");
        }
        assert!(c.get("H100-SXM").is_ok());
        assert!(c.get("tpu").is_err());
    }
}
