//! The profiles shipped with slasim (`profiles/` in the repository), embedded in the binary so
//! it works from any directory. Each has a `manifest.toml` naming the model, GPU, backend,
//! origin and engines; see `profiles/SOURCE.md` for provenance.

use super::load::{load_source, FileSource};
use super::{Origin, Profile, Role};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

struct Embedded {
    name: &'static str,
    files: &'static [(&'static str, &'static [u8])],
}

macro_rules! embed {
    ($name:literal, [$($f:literal),* $(,)?]) => {
        Embedded {
            name: $name,
            files: &[$(($f, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/", $name, "/", $f)))),*],
        }
    };
}

static SHIPPED: &[Embedded] = &[
    embed!(
        "qwen3-32b/h200/trtllm-aic",
        [
            "manifest.toml",
            "profile_meta.json",
            "selected_prefill_interpolation/raw_data.npz",
            "selected_decode_interpolation/raw_data.npz"
        ]
    ),
    embed!(
        "qwen3-32b/h200/trtllm-online",
        [
            "manifest.toml",
            "profile_meta.json",
            "selected_prefill_interpolation/raw_data.npz",
            "selected_decode_interpolation/raw_data.npz"
        ]
    ),
    embed!(
        "qwen3-32b/h200/vllm-online",
        [
            "manifest.toml",
            "profile_meta.json",
            "selected_prefill_interpolation/raw_data.npz",
            "selected_decode_interpolation/raw_data.npz"
        ]
    ),
    embed!(
        "llama-3.1-8b-fp8/h200/vllm",
        ["manifest.toml", "prefill.npz", "decode.npz"]
    ),
    embed!(
        "llama-3.3-70b-fp8/h100/vllm",
        ["manifest.toml", "prefill.npz", "decode.npz"]
    ),
];

impl FileSource for Embedded {
    fn read(&self, rel: &str) -> Option<Result<Cow<'_, [u8]>>> {
        self.files
            .iter()
            .find(|(n, _)| *n == rel)
            .map(|(_, b)| Ok(Cow::Borrowed(*b)))
    }
    fn display(&self, rel: &str) -> String {
        format!("profiles/{}/{}", self.name, rel)
    }
}

/// A profile's `manifest.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Short stable name.
    pub name: String,
    /// Model id.
    pub model: String,
    /// GPU (AIConfigurator name).
    pub gpu: String,
    /// Backend.
    pub backend: String,
    /// Backend version.
    #[serde(default)]
    pub backend_version: Option<String>,
    /// Provenance.
    pub origin: Origin,
    /// Model card id (for the analytic model).
    #[serde(default)]
    pub model_card: Option<String>,
    /// Weight dtype.
    #[serde(default)]
    pub weight_dtype: Option<String>,
    /// KV-cache dtype.
    #[serde(default)]
    pub kv_dtype: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Engines: role and TP, with optional KV-capacity override.
    pub engines: Vec<ManifestEngine>,
}

/// One engine entry of a manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEngine {
    /// Role.
    pub role: Role,
    /// Tensor-parallel size.
    pub tp: u32,
    /// The engine's real KV capacity, tokens, when it differs from the surface's KV scale.
    #[serde(default)]
    pub kv_capacity_tokens: Option<f64>,
    /// Why.
    #[serde(default)]
    pub kv_capacity_note: Option<String>,
}

/// Names of all shipped profiles.
pub fn names() -> Vec<&'static str> {
    SHIPPED.iter().map(|e| e.name).collect()
}

/// The shipped profile called `name`, if there is one.
pub fn by_name(name: &str) -> Option<Result<Profile>> {
    shared(name).map(|r| r.map(|p| Profile::clone(&p)))
}

/// The shipped profile called `name`, parsed from its embedded files once per process and
/// shared: programs that simulate thousands of times (the Python package) skip both the npz
/// decoding and the copy. A failed parse is not kept, so its error is reported every call.
pub fn shared(name: &str) -> Option<Result<Arc<Profile>>> {
    static PARSED: OnceLock<Vec<OnceLock<Arc<Profile>>>> = OnceLock::new();
    let i = SHIPPED.iter().position(|e| e.name == name)?;
    let slots = PARSED.get_or_init(|| SHIPPED.iter().map(|_| OnceLock::new()).collect());
    if let Some(p) = slots[i].get() {
        return Some(Ok(Arc::clone(p)));
    }
    Some(load_embedded(&SHIPPED[i]).map(|p| Arc::clone(slots[i].get_or_init(|| Arc::new(p)))))
}

/// All shipped profiles.
pub fn all() -> Result<Vec<Profile>> {
    SHIPPED.iter().filter_map(|e| by_name(e.name)).collect()
}

/// The manifest of a shipped profile.
pub fn manifest(name: &str) -> Option<Result<Manifest>> {
    SHIPPED.iter().find(|e| e.name == name).map(read_manifest)
}

fn read_manifest(e: &Embedded) -> Result<Manifest> {
    let file = e.display("manifest.toml");
    let bytes = e
        .read("manifest.toml")
        .ok_or_else(|| Error::data(&file, "(file)", "missing"))??;
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::data(&file, "(file)", "is not UTF-8"))?;
    toml::from_str(text).map_err(|err| Error::toml(&file, text, &err))
}

fn load_embedded(e: &Embedded) -> Result<Profile> {
    let m = read_manifest(e)?;
    let (mut engines, _meta) = load_source(e, None)?;
    let file = e.display("manifest.toml");
    for me in &m.engines {
        let eng = engines
            .iter_mut()
            .find(|x| x.role == me.role && x.tp == me.tp)
            .ok_or_else(|| {
                Error::data(
                    &file,
                    "engines",
                    format!("lists a {} engine at TP {} that the data does not have", me.role, me.tp),
                )
            })?;
        eng.kv_capacity_override = me.kv_capacity_tokens;
        eng.kv_capacity_note = me.kv_capacity_note.clone();
    }
    if engines.len() != m.engines.len() {
        return Err(Error::data(
            &file,
            "engines",
            format!("lists {} engines; the data has {}", m.engines.len(), engines.len()),
        ));
    }
    engines.sort_by_key(|x| (x.tp, x.role as u8));
    Ok(Profile {
        name: m.name,
        model: m.model,
        gpu: m.gpu,
        backend: m.backend,
        backend_version: m.backend_version,
        origin: m.origin,
        description: m.description,
        engines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_shipped_profiles_load() {
        let all = all().unwrap();
        assert_eq!(all.len(), 5);
        let engines: usize = all
            .iter()
            .map(|p| if p.role_separated() { 1 } else { p.engines.len() })
            .sum();
        assert_eq!(engines, 7, "7 engine configs counting TPs");
        for p in &all {
            assert!(by_name(&p.name).is_some());
        }
    }

    #[test]
    fn trtllm_online_keeps_scale_and_capacity_apart() {
        let p = by_name("qwen3-32b/h200/trtllm-online").unwrap().unwrap();
        let d = p.decode_engine(None, "--tp").unwrap();
        assert_eq!(d.kv_scale_tokens(), Some(8224.0));
        assert_eq!(d.kv_capacity_tokens(), Some(245000.0));
    }
}
