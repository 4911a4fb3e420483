//! Loading profiles from the file layouts of NVIDIA Dynamo (SPEC §1, items 1–4).
//!
//! | layout | what is on disk | detected by |
//! |---|---|---|
//! | profiler output | `selected_prefill_interpolation/raw_data.npz`, `selected_decode_interpolation/raw_data.npz` (+ optional `profile_meta.json` for TPs and model) | the sub-directories |
//! | pre-swept | `prefill.npz`, `decode.npz`: the same keys with a leading row axis (one row per engine config) and metadata arrays (`tp`, `gpu_type`, `model`, …) | the file names, or 2-D arrays / metadata keys |
//! | ConfigMap JSON | `prefill_raw_data.json`, `decode_raw_data.json`: the planner's ConfigMap payloads, same keys | the file names, or the keys in a `.json` |
//! | mocker npz | one npz with `prefill_isl`, `prefill_ttft_ms`, `decode_active_kv_tokens`, `decode_context_length`, `decode_itl` (a grid `[kv, context]` or flat points) | any of those keys but `prefill_isl` |
//!
//! A path may end in `#N` to pick row N (0-based) of a pre-swept file.
//! Every check names the file and the key; see [`super::validate`].

use super::npz::NpzArchive;
use super::{DecodePoint, DecodeSurface, EngineProfile, Origin, PrefillCurve, Profile, Role};
use crate::error::{read_file, Error, Result};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Largest kv_usage accepted in Dynamo-layout decode data.
pub const MAX_KV_USAGE: f64 = 1.5;

/// Where profile files are read from: a directory on disk or the embedded shipped profiles.
pub trait FileSource {
    /// Bytes of the file at `rel` (relative to the source root), if it exists.
    fn read(&self, rel: &str) -> Option<Result<Cow<'_, [u8]>>>;
    /// Name used in error messages for `rel`.
    fn display(&self, rel: &str) -> String;
}

/// A directory on disk.
pub struct DirSource(pub PathBuf);

impl FileSource for DirSource {
    fn read(&self, rel: &str) -> Option<Result<Cow<'_, [u8]>>> {
        let p = self.0.join(rel);
        p.is_file().then(|| read_file(&p).map(Cow::Owned))
    }
    fn display(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }
}

/// Splits an optional `#ROW` suffix off a profile path.
pub fn split_row_suffix(spec: &str) -> (&str, Option<&str>) {
    match spec.rsplit_once('#') {
        Some((p, r)) if !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()) => (p, Some(r)),
        _ => (spec, None),
    }
}

/// Metadata gathered while loading (from `profile_meta.json` or pre-swept arrays).
#[derive(Debug, Default, Clone)]
pub struct Meta {
    /// Model id.
    pub model: Option<String>,
    /// GPU name.
    pub gpu: Option<String>,
    /// Backend.
    pub backend: Option<String>,
    /// Backend version.
    pub backend_version: Option<String>,
    /// TP of the prefill engine.
    pub prefill_tp: Option<u32>,
    /// TP of the decode engine.
    pub decode_tp: Option<u32>,
}

/// Loads a profile from a path (directory or file), auto-detecting the layout.
pub fn load_path(spec: &str) -> Result<Profile> {
    let (path_str, row) = split_row_suffix(spec);
    let row: Option<usize> = match row {
        Some(r) => Some(
            r.parse()
                .map_err(|_| Error::usage("--profile", format!("row `{r}` is not a number")))?,
        ),
        None => None,
    };
    let path = Path::new(path_str);
    let (engines, meta) = if path.is_dir() {
        let src = DirSource(path.to_path_buf());
        load_source(&src, row)?
    } else {
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let fname = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let src = DirSource(dir);
        load_single_file(&src, &fname, row)?
    };
    Ok(Profile {
        name: spec.to_string(),
        model: meta.model.unwrap_or_else(|| "unknown".into()),
        gpu: meta.gpu.unwrap_or_else(|| "unknown".into()),
        backend: meta.backend.unwrap_or_else(|| "unknown".into()),
        backend_version: meta.backend_version,
        origin: Origin::Unknown,
        description: None,
        engines,
    })
}

const PROFILER_PREFILL: &str = "selected_prefill_interpolation/raw_data.npz";
const PROFILER_DECODE: &str = "selected_decode_interpolation/raw_data.npz";

/// Loads the engines found in a directory-like source, auto-detecting the layout.
pub fn load_source(src: &dyn FileSource, row: Option<usize>) -> Result<(Vec<EngineProfile>, Meta)> {
    let mut meta = read_meta(src)?;
    let pf = src.read(PROFILER_PREFILL);
    let df = src.read(PROFILER_DECODE);
    if pf.is_some() || df.is_some() {
        let prefill = match pf {
            Some(b) => Some(prefill_from_npz(
                &NpzArchive::open(&src.display(PROFILER_PREFILL), &b?)?,
                meta.prefill_tp.unwrap_or(1),
            )?),
            None => None,
        };
        let decode = match df {
            Some(b) => Some(decode_from_npz(
                &NpzArchive::open(&src.display(PROFILER_DECODE), &b?)?,
                meta.decode_tp.unwrap_or(1),
            )?),
            None => None,
        };
        return Ok((role_engines(prefill, decode), meta));
    }
    let pj = src.read("prefill_raw_data.json");
    let dj = src.read("decode_raw_data.json");
    if pj.is_some() || dj.is_some() {
        let prefill = match pj {
            Some(b) => Some(prefill_from_json(
                &src.display("prefill_raw_data.json"),
                &b?,
                meta.prefill_tp.unwrap_or(1),
            )?),
            None => None,
        };
        let decode = match dj {
            Some(b) => Some(decode_from_json(
                &src.display("decode_raw_data.json"),
                &b?,
                meta.decode_tp.unwrap_or(1),
            )?),
            None => None,
        };
        return Ok((role_engines(prefill, decode), meta));
    }
    let sp = src.read("prefill.npz");
    let sd = src.read("decode.npz");
    if sp.is_some() || sd.is_some() {
        let sp = sp.transpose()?;
        let sd = sd.transpose()?;
        let pa = match &sp {
            Some(b) => Some(NpzArchive::open(&src.display("prefill.npz"), b)?),
            None => None,
        };
        let da = match &sd {
            Some(b) => Some(NpzArchive::open(&src.display("decode.npz"), b)?),
            None => None,
        };
        let engines = pre_swept(pa.as_ref(), da.as_ref(), row, &mut meta)?;
        return Ok((engines, meta));
    }
    Err(Error::data(
        src.display(""),
        "(layout)",
        "no profile found: expected selected_{prefill,decode}_interpolation/raw_data.npz, prefill.npz/decode.npz, \
         or {prefill,decode}_raw_data.json",
    ))
}

fn load_single_file(src: &DirSource, fname: &str, row: Option<usize>) -> Result<(Vec<EngineProfile>, Meta)> {
    let display = src.display(fname);
    let bytes = src
        .read(fname)
        .ok_or_else(|| Error::data(&display, "(file)", "does not exist"))??;
    let mut meta = Meta::default();
    if fname.ends_with(".json") {
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::data(&display, "(json)", format!("is not valid JSON: {e}")))?;
        if v.get("prefill_isl").is_some() {
            let p = prefill_from_json(&display, &bytes, 1)?;
            return Ok((role_engines(Some(p), None), meta));
        }
        if v.get("x_kv_usage").is_some() {
            let d = decode_from_json(&display, &bytes, 1)?;
            return Ok((role_engines(None, Some(d)), meta));
        }
        return Err(Error::data(
            &display,
            "(layout)",
            "is not a profile: expected `prefill_isl` or `x_kv_usage` keys",
        ));
    }
    let a = NpzArchive::open(&display, &bytes)?;
    // Any key only the mocker layout has (not just `decode_active_kv_tokens`), so a mocker file
    // missing one of its keys is reported against its own layout.
    if MOCKER_ONLY_KEYS.iter().any(|k| a.has(k)) {
        return Ok((vec![mocker(&a)?], meta));
    }
    let pre_swept_file = a.has("tp") || a.has("gpu_type");
    if pre_swept_file {
        let engines = if a.has("prefill_isl") {
            pre_swept(Some(&a), None, row, &mut meta)?
        } else {
            pre_swept(None, Some(&a), row, &mut meta)?
        };
        return Ok((engines, meta));
    }
    if a.has("prefill_isl") {
        return Ok((role_engines(Some(prefill_from_npz(&a, 1)?), None), meta));
    }
    if a.has("x_kv_usage") {
        return Ok((role_engines(None, Some(decode_from_npz(&a, 1)?)), meta));
    }
    Err(Error::data(
        &display,
        "(layout)",
        format!(
            "is not a profile npz: expected `prefill_isl`, `x_kv_usage` or `decode_active_kv_tokens`; it has {}",
            a.names().join(", ")
        ),
    ))
}

fn role_engines(prefill: Option<PrefillCurve>, decode: Option<DecodeSurface>) -> Vec<EngineProfile> {
    let mut v = Vec::new();
    if let Some(p) = prefill {
        v.push(EngineProfile {
            role: Role::Prefill,
            tp: p.tp,
            prefill: Some(p),
            decode: None,
            kv_capacity_override: None,
            kv_capacity_note: None,
        });
    }
    if let Some(d) = decode {
        v.push(EngineProfile {
            role: Role::Decode,
            tp: d.tp,
            prefill: None,
            decode: Some(d),
            kv_capacity_override: None,
            kv_capacity_note: None,
        });
    }
    v
}

fn read_meta(src: &dyn FileSource) -> Result<Meta> {
    let Some(b) = src.read("profile_meta.json") else {
        return Ok(Meta::default());
    };
    let b = b?;
    let file = src.display("profile_meta.json");
    let v: serde_json::Value =
        serde_json::from_slice(&b).map_err(|e| Error::data(&file, "(json)", format!("is not valid JSON: {e}")))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let tp = |k: &str| -> Result<Option<u32>> {
        match v.get(k) {
            None => Ok(None),
            Some(x) => match x.as_u64() {
                Some(t) if (1..=1024).contains(&t) => Ok(Some(t as u32)),
                _ => Err(Error::data(&file, k, format!("is {x}; expected a TP size ≥ 1"))),
            },
        }
    };
    Ok(Meta {
        model: s("model"),
        gpu: s("gpu"),
        backend: s("backend"),
        backend_version: s("backend_version"),
        prefill_tp: tp("prefill_tp")?,
        decode_tp: tp("decode_tp")?,
    })
}

/// Reads a 1-D profiler prefill npz.
pub fn prefill_from_npz(a: &NpzArchive, tp: u32) -> Result<PrefillCurve> {
    let isl = a.numeric("prefill_isl")?.0;
    let ttft = a.numeric("prefill_ttft")?.0;
    let thpt = a.numeric("prefill_thpt_per_gpu")?.0;
    PrefillCurve::new(a.file(), isl, ttft, thpt, tp)
}

/// Reads a 1-D profiler decode npz.
pub fn decode_from_npz(a: &NpzArchive, tp: u32) -> Result<DecodeSurface> {
    let x = a.numeric("x_kv_usage")?.0;
    let y = a.numeric("y_context_length")?.0;
    let z = a.numeric("z_itl")?.0;
    let t = a.numeric("z_thpt_per_gpu")?.0;
    let (k, _) = a.numeric("max_kv_tokens")?;
    if k.len() != 1 {
        return Err(Error::data(
            a.file(),
            "max_kv_tokens",
            format!("has {} values; expected one", k.len()),
        ));
    }
    decode_from_arrays(a.file(), &x, &y, &z, &t, k[0], tp)
}

fn decode_from_arrays(
    file: &str,
    x: &[f64],
    y: &[f64],
    z: &[f64],
    t: &[f64],
    max_kv: f64,
    tp: u32,
) -> Result<DecodeSurface> {
    super::validate::non_empty(file, "x_kv_usage", x)?;
    super::validate::same_len(file, "y_context_length", y.len(), "x_kv_usage", x.len())?;
    super::validate::same_len(file, "z_itl", z.len(), "x_kv_usage", x.len())?;
    super::validate::same_len(file, "z_thpt_per_gpu", t.len(), "x_kv_usage", x.len())?;
    if !(max_kv.is_finite() && max_kv > 0.0) {
        return Err(Error::data(
            file,
            "max_kv_tokens",
            format!("is {max_kv}; expected a positive token count"),
        ));
    }
    let pts: Vec<DecodePoint> = (0..x.len())
        .map(|i| DecodePoint {
            kv_usage: x[i],
            context: y[i],
            itl_ms: z[i],
            thpt_per_gpu: t[i],
        })
        .collect();
    DecodeSurface::from_points(file, &pts, max_kv, tp, MAX_KV_USAGE)
}

fn json_array(file: &str, v: &serde_json::Value, key: &str) -> Result<Vec<f64>> {
    let arr = v
        .get(key)
        .ok_or_else(|| Error::data(file, key, "missing key"))?
        .as_array()
        .ok_or_else(|| Error::data(file, key, "expected an array of numbers"))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .ok_or_else(|| Error::data(file, key, format!("element {i} is {x}; expected a number")))
        })
        .collect()
}

fn parse_json(file: &str, bytes: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| Error::data(file, "(json)", format!("is not valid JSON: {e}")))
}

/// Reads a ConfigMap `prefill_raw_data.json` payload.
pub fn prefill_from_json(file: &str, bytes: &[u8], tp: u32) -> Result<PrefillCurve> {
    let v = parse_json(file, bytes)?;
    PrefillCurve::new(
        file,
        json_array(file, &v, "prefill_isl")?,
        json_array(file, &v, "prefill_ttft")?,
        json_array(file, &v, "prefill_thpt_per_gpu")?,
        tp,
    )
}

/// Reads a ConfigMap `decode_raw_data.json` payload.
pub fn decode_from_json(file: &str, bytes: &[u8], tp: u32) -> Result<DecodeSurface> {
    let v = parse_json(file, bytes)?;
    let k = match v.get("max_kv_tokens") {
        None => return Err(Error::data(file, "max_kv_tokens", "missing key")),
        Some(x) => x
            .as_f64()
            .or_else(|| {
                x.as_array()
                    .and_then(|a| if a.len() == 1 { a[0].as_f64() } else { None })
            })
            .ok_or_else(|| Error::data(file, "max_kv_tokens", format!("is {x}; expected a number")))?,
    };
    decode_from_arrays(
        file,
        &json_array(file, &v, "x_kv_usage")?,
        &json_array(file, &v, "y_context_length")?,
        &json_array(file, &v, "z_itl")?,
        &json_array(file, &v, "z_thpt_per_gpu")?,
        k,
        tp,
    )
}

/// Rows of a pre-swept array: `(values, rows, cols)`; a 1-D array is one row.
fn rows_of(a: &NpzArchive, key: &str) -> Result<(Vec<f64>, usize, usize)> {
    let (v, shape) = a.numeric(key)?;
    match shape.len() {
        1 => Ok((v, 1, shape[0])),
        2 => Ok((v, shape[0], shape[1])),
        _ => Err(Error::data(
            a.file(),
            key,
            format!("has shape {shape:?}; expected [rows, points]"),
        )),
    }
}

fn row_slice(v: &[f64], cols: usize, r: usize) -> Vec<f64> {
    v[r * cols..(r + 1) * cols].to_vec()
}

/// Reads per-row metadata (`tp` numeric; text keys) of a pre-swept archive.
fn pre_swept_tps(a: &NpzArchive, nrows: usize) -> Result<Vec<u32>> {
    if !a.has("tp") {
        return Ok(vec![1; nrows]);
    }
    let (v, _) = a.numeric("tp")?;
    if v.len() != nrows {
        return Err(Error::data(
            a.file(),
            "tp",
            format!("has {} values; expected one per row ({nrows})", v.len()),
        ));
    }
    v.iter()
        .enumerate()
        .map(|(i, t)| {
            if *t >= 1.0 && t.fract() == 0.0 && *t <= 1024.0 {
                Ok(*t as u32)
            } else {
                Err(Error::data(
                    a.file(),
                    "tp",
                    format!("row {i} is {t}; expected a TP size ≥ 1"),
                ))
            }
        })
        .collect()
}

fn pre_swept_text(a: &NpzArchive, key: &str) -> Option<String> {
    a.has(key)
        .then(|| a.unicode(key).ok())
        .flatten()
        .and_then(|v| v.into_iter().next())
}

fn pre_swept(
    p: Option<&NpzArchive>,
    d: Option<&NpzArchive>,
    row: Option<usize>,
    meta: &mut Meta,
) -> Result<Vec<EngineProfile>> {
    for a in [p, d].into_iter().flatten() {
        meta.model = meta.model.take().or_else(|| pre_swept_text(a, "model"));
        meta.gpu = meta.gpu.take().or_else(|| pre_swept_text(a, "gpu_type"));
        meta.backend = meta.backend.take().or_else(|| pre_swept_text(a, "framework"));
        meta.backend_version = meta
            .backend_version
            .take()
            .or_else(|| pre_swept_text(a, "framework_version"));
    }
    let mut prefills: Vec<PrefillCurve> = Vec::new();
    if let Some(a) = p {
        let (isl, n, c) = rows_of(a, "prefill_isl")?;
        let (ttft, n2, c2) = rows_of(a, "prefill_ttft")?;
        let (thpt, n3, c3) = rows_of(a, "prefill_thpt_per_gpu")?;
        super::validate::same_len(a.file(), "prefill_ttft", n2 * c2, "prefill_isl", n * c)?;
        super::validate::same_len(a.file(), "prefill_thpt_per_gpu", n3 * c3, "prefill_isl", n * c)?;
        let tps = pre_swept_tps(a, n)?;
        for r in select_rows(a, n, row)? {
            let file = format!("{} (row {r})", a.file());
            prefills.push(PrefillCurve::new(
                &file,
                row_slice(&isl, c, r),
                row_slice(&ttft, c, r),
                row_slice(&thpt, c, r),
                tps[r],
            )?);
        }
    }
    let mut decodes: Vec<DecodeSurface> = Vec::new();
    if let Some(a) = d {
        let (x, n, c) = rows_of(a, "x_kv_usage")?;
        let (y, ny, cy) = rows_of(a, "y_context_length")?;
        let (z, nz, cz) = rows_of(a, "z_itl")?;
        let (t, nt, ct) = rows_of(a, "z_thpt_per_gpu")?;
        super::validate::same_len(a.file(), "y_context_length", ny * cy, "x_kv_usage", n * c)?;
        super::validate::same_len(a.file(), "z_itl", nz * cz, "x_kv_usage", n * c)?;
        super::validate::same_len(a.file(), "z_thpt_per_gpu", nt * ct, "x_kv_usage", n * c)?;
        let (k, _) = a.numeric("max_kv_tokens")?;
        if k.len() != n {
            return Err(Error::data(
                a.file(),
                "max_kv_tokens",
                format!("has {} values; expected one per row ({n})", k.len()),
            ));
        }
        let tps = pre_swept_tps(a, n)?;
        for r in select_rows(a, n, row)? {
            let file = format!("{} (row {r})", a.file());
            decodes.push(decode_from_arrays(
                &file,
                &row_slice(&x, c, r),
                &row_slice(&y, c, r),
                &row_slice(&z, c, r),
                &row_slice(&t, c, r),
                k[r],
                tps[r],
            )?);
        }
    }
    // Pair prefill and decode rows by TP into aggregated engines.
    let mut engines = Vec::new();
    let mut used = vec![false; decodes.len()];
    for pc in prefills {
        let m = decodes.iter().enumerate().position(|(i, d)| !used[i] && d.tp == pc.tp);
        let decode = m.map(|i| {
            used[i] = true;
            decodes[i].clone()
        });
        let role = if decode.is_some() { Role::Agg } else { Role::Prefill };
        engines.push(EngineProfile {
            role,
            tp: pc.tp,
            prefill: Some(pc),
            decode,
            kv_capacity_override: None,
            kv_capacity_note: None,
        });
    }
    for (i, d) in decodes.into_iter().enumerate() {
        if !used[i] {
            engines.push(EngineProfile {
                role: Role::Decode,
                tp: d.tp,
                prefill: None,
                decode: Some(d),
                kv_capacity_override: None,
                kv_capacity_note: None,
            });
        }
    }
    Ok(engines)
}

fn select_rows(a: &NpzArchive, n: usize, row: Option<usize>) -> Result<Vec<usize>> {
    match row {
        None => Ok((0..n).collect()),
        Some(r) if r < n => Ok(vec![r]),
        Some(r) => Err(Error::data(
            a.file(),
            "(row)",
            format!(
                "row {r} does not exist; the file has {n} row(s), 0..{}",
                n.saturating_sub(1)
            ),
        )),
    }
}

/// Keys that only Dynamo mocker's layout has.
const MOCKER_ONLY_KEYS: [&str; 4] = [
    "decode_active_kv_tokens",
    "prefill_ttft_ms",
    "decode_context_length",
    "decode_itl",
];

/// Reads Dynamo mocker's perf-model npz (decode axis in active KV tokens).
///
/// `decode_itl` is either a grid of shape `[len(decode_active_kv_tokens), len(decode_context_length)]`
/// or a flat array of the same length as both axes (scattered points). The surface's KV scale is
/// the `max_kv_tokens` key when present, else the largest active-KV value. Throughputs, which the
/// layout lacks, are derived with the profiler's definitions (`tokens / time · 1000 / TP`).
pub fn mocker(a: &NpzArchive) -> Result<EngineProfile> {
    let tp = if a.has("tp") { pre_swept_tps(a, 1)?[0] } else { 1 };
    let isl = a.numeric("prefill_isl")?.0;
    let ttft = a.numeric("prefill_ttft_ms")?.0;
    super::validate::same_len(a.file(), "prefill_ttft_ms", ttft.len(), "prefill_isl", isl.len())?;
    // checked here so errors name this layout's key (PrefillCurve would say `prefill_ttft`)
    super::validate::finite_positive(a.file(), "prefill_ttft_ms", &ttft)?;
    for (i, &t) in ttft.iter().enumerate() {
        crate::sim::horizon::check_profile_ms(a.file(), "prefill_ttft_ms", i, t)?;
    }
    let thpt: Vec<f64> = isl
        .iter()
        .zip(&ttft)
        .map(|(s, t)| if *t > 0.0 { s / t * 1000.0 / tp as f64 } else { *t })
        .collect();
    let prefill = PrefillCurve::new(a.file(), isl, ttft, thpt, tp)?;
    let kv = a.numeric("decode_active_kv_tokens")?.0;
    let ctx = a.numeric("decode_context_length")?.0;
    let (itl, shape) = a.numeric("decode_itl")?;
    super::validate::non_empty(a.file(), "decode_active_kv_tokens", &kv)?;
    super::validate::non_empty(a.file(), "decode_context_length", &ctx)?;
    super::validate::finite_positive(a.file(), "decode_active_kv_tokens", &kv)?;
    super::validate::finite_positive(a.file(), "decode_context_length", &ctx)?;
    let scale = if a.has("max_kv_tokens") {
        let k = a.numeric("max_kv_tokens")?.0;
        *k.first()
            .ok_or_else(|| Error::data(a.file(), "max_kv_tokens", "is empty"))?
    } else {
        kv.iter().cloned().fold(0.0, f64::max)
    };
    let mut pts = Vec::new();
    let mut push = |k: f64, c: f64, z: f64| {
        let batch = k / c;
        pts.push(DecodePoint {
            kv_usage: k / scale,
            context: c,
            itl_ms: z,
            thpt_per_gpu: if z > 0.0 { batch / z * 1000.0 / tp as f64 } else { z },
        });
    };
    if shape.len() == 2 {
        if shape[0] != kv.len() || shape[1] != ctx.len() {
            return Err(Error::data(
                a.file(),
                "decode_itl",
                format!(
                    "has shape {shape:?}; expected [{}, {}] (active KV tokens × context lengths)",
                    kv.len(),
                    ctx.len()
                ),
            ));
        }
        for (key, axis) in [("decode_active_kv_tokens", &kv), ("decode_context_length", &ctx)] {
            let mut sorted = axis.clone();
            sorted.sort_by(f64::total_cmp);
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::data(
                    a.file(),
                    key,
                    format!("has the value {} twice; expected distinct grid values", w[0]),
                ));
            }
        }
        for (i, k) in kv.iter().enumerate() {
            for (j, c) in ctx.iter().enumerate() {
                push(*k, *c, itl[i * ctx.len() + j]);
            }
        }
    } else {
        super::validate::same_len(
            a.file(),
            "decode_context_length",
            ctx.len(),
            "decode_active_kv_tokens",
            kv.len(),
        )?;
        super::validate::same_len(a.file(), "decode_itl", itl.len(), "decode_active_kv_tokens", kv.len())?;
        for i in 0..kv.len() {
            push(kv[i], ctx[i], itl[i]);
        }
    }
    for (i, p) in pts.iter().enumerate() {
        if !(p.itl_ms.is_finite() && p.itl_ms > 0.0) {
            return Err(Error::data(
                a.file(),
                "decode_itl",
                format!("element {i} is {}; expected a finite value > 0", p.itl_ms),
            ));
        }
        crate::sim::horizon::check_profile_ms(a.file(), "decode_itl", i, p.itl_ms)?;
    }
    let decode = DecodeSurface::from_points(a.file(), &pts, scale, tp, f64::INFINITY)?;
    Ok(EngineProfile {
        role: Role::Agg,
        tp,
        prefill: Some(prefill),
        decode: Some(decode),
        kv_capacity_override: None,
        kv_capacity_note: None,
    })
}
