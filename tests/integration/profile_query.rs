//! `slasim profile query|list|show` on every shipped profile, checked against the measured points
//! read independently (with `ndarray-npy`, not slasim's loader) from byte copies of the original
//! Dynamo files under `tests/fixtures/dynamo/`.
//!
//! Every measured point of every engine is queried both through the binary (`profile query
//! --json`) and through the library; midpoints between adjacent measured points must fall
//! strictly between their neighbours. Also: the ConfigMap JSON layout and the `#ROW` suffix of
//! pre-swept files give the same numbers, and Dynamo's mocker layout (fixture
//! `tests/fixtures/mocker_llama8b.npz`) is exact at its grid nodes.

use crate::profile_validation::{s, Npz};
use crate::util;
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::NpzReader;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

const REL: f64 = 1e-9;

#[track_caller]
fn close(got: f64, want: f64, what: &str) {
    let err = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
    assert!(
        err <= REL,
        "{what}: got {got}, measured {want} (relative error {err:e})"
    );
}

/// The binary's JSON output and the library agree (to float parsing of the JSON text).
#[track_caller]
fn agree(binary: f64, library: f64, what: &str) {
    let err = (binary - library).abs() / library.abs();
    assert!(err <= 1e-15, "{what}: binary {binary} and library {library} differ");
}

#[track_caller]
fn strictly_between(q: f64, a: f64, b: f64, what: &str) {
    if a != b {
        assert!(
            q > a.min(b) && q < a.max(b),
            "{what}: {q} is not strictly between {a} and {b}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// measured points, read independently from tests/fixtures/dynamo (byte copies of Dynamo's files)

#[derive(Debug, Clone, Copy)]
struct PrefillPt {
    isl: f64,
    ttft: f64,
    thpt: f64,
}

#[derive(Debug, Clone, Copy)]
struct DecodePt {
    kv_usage: f64,
    context: f64,
    itl: f64,
    thpt: f64,
}

#[derive(Debug)]
struct MeasuredPrefill {
    tp: u32,
    pts: Vec<PrefillPt>,
}

#[derive(Debug)]
struct MeasuredDecode {
    tp: u32,
    max_kv_tokens: f64,
    pts: Vec<DecodePt>,
}

#[derive(Debug)]
struct Measured {
    /// Whether queries need `--tp` (several engines).
    needs_tp: bool,
    prefill: Vec<MeasuredPrefill>,
    decode: Vec<MeasuredDecode>,
}

fn dynamo() -> PathBuf {
    util::dynamo_data()
}

const RESULTS: &str = "benchmarks/profiler/comparison/results";
const PRE_SWEPT: &str = "components/src/dynamo/planner/core/throughput/pre_swept_results";

fn pre_swept_dir(gpu: &str, model: &str) -> PathBuf {
    dynamo().join(PRE_SWEPT).join(gpu).join("vllm/nvidia").join(model)
}

/// Reads `key` as f64 (float64 arrays, or int64 ones such as `prefill_isl` / `max_kv_tokens`).
fn read(path: &Path, key: &str) -> ArrayD<f64> {
    let mut r = NpzReader::new(File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap();
    if let Ok(a) = r.by_name::<ndarray::OwnedRepr<f64>, IxDyn>(key) {
        return a;
    }
    let a: ArrayD<i64> = r
        .by_name(key)
        .unwrap_or_else(|e| panic!("{}: {key}: {e}", path.display()));
    a.mapv(|x| x as f64)
}

/// Row `r` of a 2-D array (or the whole 1-D array for `r == None`).
fn row(a: &ArrayD<f64>, r: Option<usize>) -> Vec<f64> {
    match r {
        None => {
            assert_eq!(a.ndim(), 1);
            a.iter().copied().collect()
        }
        Some(r) => {
            assert_eq!(a.ndim(), 2);
            a.index_axis(ndarray::Axis(0), r).iter().copied().collect()
        }
    }
}

fn read_prefill(path: &Path, r: Option<usize>, tp: u32) -> MeasuredPrefill {
    let isl = row(&read(path, "prefill_isl"), r);
    let ttft = row(&read(path, "prefill_ttft"), r);
    let thpt = row(&read(path, "prefill_thpt_per_gpu"), r);
    assert!(isl.len() == ttft.len() && isl.len() == thpt.len() && !isl.is_empty());
    let pts = (0..isl.len())
        .map(|i| PrefillPt {
            isl: isl[i],
            ttft: ttft[i],
            thpt: thpt[i],
        })
        .collect();
    MeasuredPrefill { tp, pts }
}

fn read_decode(path: &Path, r: Option<usize>, tp: u32) -> MeasuredDecode {
    let x = row(&read(path, "x_kv_usage"), r);
    let y = row(&read(path, "y_context_length"), r);
    let z = row(&read(path, "z_itl"), r);
    let t = row(&read(path, "z_thpt_per_gpu"), r);
    let k = read(path, "max_kv_tokens");
    let k: Vec<f64> = k.iter().copied().collect();
    let max_kv_tokens = k[r.unwrap_or(0)];
    assert!(x.len() == y.len() && x.len() == z.len() && x.len() == t.len() && !x.is_empty());
    let pts = (0..x.len())
        .map(|i| DecodePt {
            kv_usage: x[i],
            context: y[i],
            itl: z[i],
            thpt: t[i],
        })
        .collect();
    MeasuredDecode { tp, max_kv_tokens, pts }
}

/// A profiler results folder: 1-D npz files, TPs from `profile_meta.json`.
fn profiler_results(folder: &str) -> Measured {
    let dir = dynamo().join(RESULTS).join(folder);
    let meta: Value = serde_json::from_slice(&std::fs::read(dir.join("profile_meta.json")).unwrap()).unwrap();
    let ptp = meta["prefill_tp"].as_u64().unwrap() as u32;
    let dtp = meta["decode_tp"].as_u64().unwrap() as u32;
    Measured {
        needs_tp: false,
        prefill: vec![read_prefill(
            &dir.join("selected_prefill_interpolation/raw_data.npz"),
            None,
            ptp,
        )],
        decode: vec![read_decode(
            &dir.join("selected_decode_interpolation/raw_data.npz"),
            None,
            dtp,
        )],
    }
}

/// A pre-swept folder: 2-D npz files, one row per TP (the `tp` array).
fn pre_swept(gpu: &str, model: &str) -> Measured {
    let dir = pre_swept_dir(gpu, model);
    let (p, d) = (dir.join("prefill.npz"), dir.join("decode.npz"));
    let tps: Vec<u32> = read(&p, "tp").iter().map(|t| *t as u32).collect();
    let dtps: Vec<u32> = read(&d, "tp").iter().map(|t| *t as u32).collect();
    assert_eq!(tps, dtps, "prefill and decode rows have the same TPs");
    Measured {
        needs_tp: tps.len() > 1,
        prefill: (0..tps.len()).map(|r| read_prefill(&p, Some(r), tps[r])).collect(),
        decode: (0..tps.len()).map(|r| read_decode(&d, Some(r), tps[r])).collect(),
    }
}

fn measured(name: &str) -> Measured {
    match name {
        "qwen3-32b/h200/trtllm-aic" => profiler_results("aic_all"),
        "qwen3-32b/h200/trtllm-online" => profiler_results("online_all"),
        "qwen3-32b/h200/vllm-online" => profiler_results("online_all_vllm_84bfc5cc"),
        "llama-3.1-8b-fp8/h200/vllm" => pre_swept("h200_sxm", "Llama-3.1-8B-Instruct-FP8"),
        "llama-3.3-70b-fp8/h100/vllm" => {
            let m = pre_swept("h100_sxm", "Llama-3.3-70B-Instruct-FP8");
            let tps: Vec<u32> = m.prefill.iter().map(|p| p.tp).collect();
            assert_eq!(tps, [8, 4, 2], "row order of the Llama-3.3-70B pre-swept files");
            m
        }
        _ => panic!("unknown profile {name}"),
    }
}

const SHIPPED: [&str; 5] = [
    "qwen3-32b/h200/trtllm-aic",
    "qwen3-32b/h200/trtllm-online",
    "qwen3-32b/h200/vllm-online",
    "llama-3.1-8b-fp8/h200/vllm",
    "llama-3.3-70b-fp8/h100/vllm",
];

// ------------------------------------------------------------------------------------------
// running `profile query`

/// Formats a float so that it parses back to the same value.
fn f(x: f64) -> String {
    format!("{x}")
}

fn json_obj(out: &str, keys: [&str; 2]) -> (f64, f64) {
    assert_eq!(out.trim_end().lines().count(), 1, "one JSON line expected:\n{out}");
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    let o = v.as_object().unwrap_or_else(|| panic!("not an object: {out}"));
    let g = |k: &str| {
        o.get(k)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("no number `{k}` in {out}"))
    };
    (g(keys[0]), g(keys[1]))
}

/// `profile query SPEC [--tp TP] --isl ISL --json` → (ttft_ms, prefill_thpt_per_gpu).
fn q_prefill(spec: &str, tp: Option<u32>, isl: f64) -> (f64, f64) {
    let tp = tp.map(|t| t.to_string());
    let isl = f(isl);
    let mut a = vec!["profile", "query", spec];
    if let Some(t) = &tp {
        a.extend(["--tp", t.as_str()]);
    }
    a.extend(["--isl", isl.as_str(), "--json"]);
    json_obj(&util::ok(&a), ["ttft_ms", "prefill_thpt_per_gpu"])
}

/// `profile query SPEC [--tp TP] --kv-usage U --context C --json` → (itl_ms, decode_thpt_per_gpu).
fn q_decode(spec: &str, tp: Option<u32>, u: f64, c: f64) -> (f64, f64) {
    let tp = tp.map(|t| t.to_string());
    let (u, c) = (f(u), f(c));
    let mut a = vec!["profile", "query", spec];
    if let Some(t) = &tp {
        a.extend(["--tp", t.as_str()]);
    }
    a.extend(["--kv-usage", u.as_str(), "--context", c.as_str(), "--json"]);
    json_obj(&util::ok(&a), ["itl_ms", "decode_thpt_per_gpu"])
}

/// Decode points grouped into rows of equal context, each sorted by kv_usage.
fn decode_rows(pts: &[DecodePt]) -> Vec<Vec<DecodePt>> {
    let mut rows: BTreeMap<u64, Vec<DecodePt>> = BTreeMap::new();
    for p in pts {
        rows.entry(p.context.to_bits()).or_default().push(*p);
    }
    rows.into_values()
        .map(|mut r| {
            r.sort_by(|a, b| a.kv_usage.total_cmp(&b.kv_usage));
            r
        })
        .collect()
}

/// Checks every measured point and every midpoint of `name`, through the binary and the library.
/// Returns the number of measured points checked.
fn check_profile(name: &str) -> usize {
    let m = measured(name);
    let lib = slasim::profile::resolve(name).unwrap();
    let mut n = 0;
    for mp in &m.prefill {
        let tp = m.needs_tp.then_some(mp.tp);
        let e = lib.prefill_engine(Some(mp.tp), "--tp").unwrap();
        let c = e.prefill.as_ref().unwrap();
        assert_eq!(e.tp, mp.tp);
        assert_eq!(
            c.isl.len(),
            mp.pts.len(),
            "{name} TP{}: every measured ISL is in the profile",
            mp.tp
        );
        for p in &mp.pts {
            let what = format!("{name} TP{} prefill ISL {}", mp.tp, p.isl);
            let (t, th) = q_prefill(name, tp, p.isl);
            close(t, p.ttft, &format!("{what} ttft_ms"));
            close(th, p.thpt, &format!("{what} prefill_thpt_per_gpu"));
            close(c.ttft_ms(p.isl), p.ttft, &format!("{what} (library) ttft_ms"));
            close(c.thpt_per_gpu(p.isl), p.thpt, &format!("{what} (library) thpt"));
            n += 1;
        }
        for w in mp.pts.windows(2) {
            let mid = 0.5 * (w[0].isl + w[1].isl);
            let what = format!("{name} TP{} prefill ISL {mid}", mp.tp);
            let (t, th) = q_prefill(name, tp, mid);
            strictly_between(t, w[0].ttft, w[1].ttft, &format!("{what} ttft_ms"));
            strictly_between(th, w[0].thpt, w[1].thpt, &format!("{what} prefill_thpt_per_gpu"));
            agree(t, c.ttft_ms(mid), &what);
        }
    }
    for md in &m.decode {
        let tp = m.needs_tp.then_some(md.tp);
        let e = lib.decode_engine(Some(md.tp), "--tp").unwrap();
        let d = e.decode.as_ref().unwrap();
        assert_eq!(d.kv_scale_tokens, md.max_kv_tokens, "{name} TP{} max_kv_tokens", md.tp);
        assert_eq!(
            d.points().len(),
            md.pts.len(),
            "{name} TP{}: every measured decode point",
            md.tp
        );
        for p in &md.pts {
            let what = format!(
                "{name} TP{} decode kv_usage {} context {}",
                md.tp, p.kv_usage, p.context
            );
            let (itl, th) = q_decode(name, tp, p.kv_usage, p.context);
            close(itl, p.itl, &format!("{what} itl_ms"));
            close(th, p.thpt, &format!("{what} decode_thpt_per_gpu"));
            close(
                d.itl_ms(p.kv_usage, p.context),
                p.itl,
                &format!("{what} (library) itl_ms"),
            );
            close(
                d.thpt_per_gpu(p.kv_usage, p.context),
                p.thpt,
                &format!("{what} (library) thpt"),
            );
            n += 1;
        }
        for r in decode_rows(&md.pts) {
            for w in r.windows(2) {
                let mid = 0.5 * (w[0].kv_usage + w[1].kv_usage);
                let ctx = w[0].context;
                let what = format!("{name} TP{} decode kv_usage {mid} context {ctx}", md.tp);
                let (itl, th) = q_decode(name, tp, mid, ctx);
                strictly_between(itl, w[0].itl, w[1].itl, &format!("{what} itl_ms"));
                strictly_between(th, w[0].thpt, w[1].thpt, &format!("{what} decode_thpt_per_gpu"));
                agree(itl, d.itl_ms(mid, ctx), &what);
            }
        }
    }
    n
}

#[test]
fn measured_points_qwen3_32b_trtllm_aic() {
    assert_eq!(check_profile("qwen3-32b/h200/trtllm-aic"), 17 + 36);
}

#[test]
fn measured_points_qwen3_32b_trtllm_online() {
    assert_eq!(check_profile("qwen3-32b/h200/trtllm-online"), 17 + 7);
}

#[test]
fn measured_points_qwen3_32b_vllm_online() {
    assert_eq!(check_profile("qwen3-32b/h200/vllm-online"), 14 + 9);
}

#[test]
fn measured_points_llama_3_1_8b() {
    assert_eq!(check_profile("llama-3.1-8b-fp8/h200/vllm"), 17 + 41);
}

#[test]
fn measured_points_llama_3_3_70b_every_tp() {
    assert_eq!(check_profile("llama-3.3-70b-fp8/h100/vllm"), 3 * (9 + 39));
}

// ------------------------------------------------------------------------------------------
// other layouts of the same data

/// Every measured point of `m` is reproduced by the profile loaded from `spec` (library).
fn same_points(spec: &str, m: &Measured) {
    let p = slasim::profile::resolve(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    for mp in &m.prefill {
        let c = p.prefill_engine(Some(mp.tp), "--tp").unwrap().prefill.clone().unwrap();
        assert_eq!(c.isl.len(), mp.pts.len(), "{spec}");
        for pt in &mp.pts {
            close(c.ttft_ms(pt.isl), pt.ttft, &format!("{spec} ISL {}", pt.isl));
            close(c.thpt_per_gpu(pt.isl), pt.thpt, &format!("{spec} ISL {} thpt", pt.isl));
        }
    }
    for md in &m.decode {
        let d = p.decode_engine(Some(md.tp), "--tp").unwrap().decode.clone().unwrap();
        assert_eq!(d.kv_scale_tokens, md.max_kv_tokens, "{spec}");
        assert_eq!(d.points().len(), md.pts.len(), "{spec}");
        for pt in &md.pts {
            close(d.itl_ms(pt.kv_usage, pt.context), pt.itl, &format!("{spec} {pt:?}"));
            close(
                d.thpt_per_gpu(pt.kv_usage, pt.context),
                pt.thpt,
                &format!("{spec} {pt:?} thpt"),
            );
        }
    }
}

#[test]
fn configmap_json_layout_matches_shipped_profiles() {
    for (name, folder) in [
        ("qwen3-32b/h200/trtllm-aic", "aic_all"),
        ("qwen3-32b/h200/trtllm-online", "online_all"),
        ("qwen3-32b/h200/vllm-online", "online_all_vllm_84bfc5cc"),
    ] {
        let src = dynamo().join(RESULTS).join(folder);
        let m = measured(name);
        // the results folder itself (profiler npz layout + profile_meta.json)
        same_points(s(&src), &m);
        // the ConfigMap payloads alone (with profile_meta.json for the TPs)
        let dir = tempfile::tempdir().unwrap();
        for f in ["prefill_raw_data.json", "decode_raw_data.json", "profile_meta.json"] {
            std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        let json = s(dir.path());
        same_points(json, &m);
        let lib = slasim::profile::resolve(json).unwrap();
        assert_eq!(lib.prefill_tps(), vec![m.prefill[0].tp], "{folder}");
        assert_eq!(lib.decode_tps(), vec![m.decode[0].tp], "{folder}");
        // through the binary: the JSON folder queries exactly like the shipped profile, at the
        // measured points, between them and beyond them
        let p = &m.prefill[0].pts;
        let mut isls: Vec<f64> = p.iter().map(|x| x.isl).collect();
        isls.extend([1.0, 0.5 * (p[0].isl + p[1].isl), 2.0 * p[p.len() - 1].isl]);
        for isl in isls {
            assert_eq!(
                q_prefill(json, None, isl),
                q_prefill(name, None, isl),
                "{folder} ISL {isl}"
            );
        }
        let d = &m.decode[0].pts;
        let dtp = Some(m.decode[0].tp);
        for pt in d.iter().step_by(3) {
            assert_eq!(
                q_decode(json, dtp, pt.kv_usage, pt.context),
                q_decode(name, None, pt.kv_usage, pt.context),
                "{folder} {pt:?}"
            );
        }
        assert_eq!(
            q_decode(json, None, 0.37, 1234.5),
            q_decode(name, dtp, 0.37, 1234.5),
            "{folder}"
        );
        // a single payload file on its own
        let pj = src.join("prefill_raw_data.json");
        for pt in p.iter().step_by(4) {
            let (t, th) = q_prefill(s(&pj), None, pt.isl);
            close(t, pt.ttft, &format!("{} ISL {}", pj.display(), pt.isl));
            close(th, pt.thpt, &format!("{} ISL {} thpt", pj.display(), pt.isl));
        }
        let dj = src.join("decode_raw_data.json");
        for pt in d.iter().step_by(4) {
            let (itl, th) = q_decode(s(&dj), None, pt.kv_usage, pt.context);
            close(itl, pt.itl, &format!("{} {pt:?}", dj.display()));
            close(th, pt.thpt, &format!("{} {pt:?} thpt", dj.display()));
        }
    }
}

/// The numbers of a JSON array `"key": [...]`, parsed from the text with `str::parse` (correctly
/// rounded), independent of any JSON library.
fn json_text_array(text: &str, key: &str) -> Vec<f64> {
    let start = text.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("no {key}"));
    let open = start + text[start..].find('[').unwrap();
    let close = open + text[open..].find(']').unwrap();
    text[open + 1..close]
        .split(',')
        .map(|x| x.trim().parse::<f64>().unwrap())
        .collect()
}

/// The ConfigMap payloads hold exactly the numbers of the profiler npz files, and the loader must
/// read them exactly: a value parsed one ulp off moves a measured point, and at the end of a
/// decode row the throughput then jumps from the measured value to the derived one (2e-5 relative
/// on aic_all). serde_json parses floats exactly only with its `float_roundtrip` feature.
#[test]
fn configmap_json_floats_parse_exactly() {
    for folder in ["aic_all", "online_all", "online_all_vllm_84bfc5cc"] {
        let src = dynamo().join(RESULTS).join(folder);
        let pj = src.join("prefill_raw_data.json");
        let dj = src.join("decode_raw_data.json");
        let (ptext, dtext) = (
            std::fs::read_to_string(&pj).unwrap(),
            std::fs::read_to_string(&dj).unwrap(),
        );
        let pn = src.join("selected_prefill_interpolation/raw_data.npz");
        let dn = src.join("selected_decode_interpolation/raw_data.npz");
        // the two layouts hold the same numbers
        for k in ["prefill_isl", "prefill_ttft", "prefill_thpt_per_gpu"] {
            assert_eq!(json_text_array(&ptext, k), row(&read(&pn, k), None), "{folder} {k}");
        }
        for k in ["x_kv_usage", "y_context_length", "z_itl", "z_thpt_per_gpu"] {
            assert_eq!(json_text_array(&dtext, k), row(&read(&dn, k), None), "{folder} {k}");
        }
        // and slasim reads them bit for bit
        let p = slasim::profile::resolve(s(&pj)).unwrap();
        let c = p.prefill_engine(None, "--tp").unwrap().prefill.clone().unwrap();
        assert_eq!(
            c.ttft_ms,
            json_text_array(&ptext, "prefill_ttft"),
            "{} prefill_ttft",
            pj.display()
        );
        assert_eq!(
            c.thpt_per_gpu,
            json_text_array(&ptext, "prefill_thpt_per_gpu"),
            "{}",
            pj.display()
        );
        let d = slasim::profile::resolve(s(&dj)).unwrap();
        let got = d.decode_engine(None, "--tp").unwrap().decode.clone().unwrap().points();
        let mut want = read_decode(&dn, None, 1).pts;
        want.sort_by(|a, b| a.context.total_cmp(&b.context).then(a.kv_usage.total_cmp(&b.kv_usage)));
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert!(
                g.kv_usage == w.kv_usage && g.context == w.context && g.itl_ms == w.itl && g.thpt_per_gpu == w.thpt,
                "{}: point {w:?} read as {g:?} (JSON floats must be parsed exactly: serde_json needs its \
                 `float_roundtrip` feature)",
                dj.display()
            );
        }
    }
}

#[test]
fn pre_swept_row_suffix_selects_the_row() {
    let m = measured("llama-3.3-70b-fp8/h100/vllm");
    let dir = pre_swept_dir("h100_sxm", "Llama-3.3-70B-Instruct-FP8");
    for (r, (mp, md)) in m.prefill.iter().zip(&m.decode).enumerate() {
        let pf = format!("{}#{r}", dir.join("prefill.npz").display());
        let df = format!("{}#{r}", dir.join("decode.npz").display());
        let dd = format!("{}#{r}", dir.display());
        // one engine, with the row's TP, so no --tp is needed
        for spec in [&pf, &df, &dd] {
            let p = slasim::profile::resolve(spec).unwrap();
            assert_eq!(p.engines.len(), 1, "{spec}");
            assert_eq!(p.engines[0].tp, mp.tp, "{spec}");
        }
        for pt in mp.pts.iter().step_by(2) {
            for spec in [&pf, &dd] {
                let (t, th) = q_prefill(spec, None, pt.isl);
                close(t, pt.ttft, &format!("{spec} ISL {}", pt.isl));
                close(th, pt.thpt, &format!("{spec} ISL {} thpt", pt.isl));
            }
        }
        for pt in md.pts.iter().step_by(5) {
            for spec in [&df, &dd] {
                let (itl, th) = q_decode(spec, None, pt.kv_usage, pt.context);
                close(itl, pt.itl, &format!("{spec} {pt:?}"));
                close(th, pt.thpt, &format!("{spec} {pt:?} thpt"));
            }
        }
        // the whole file needs --tp, and gives the same row with it
        let whole = dir.join("prefill.npz");
        let pt = mp.pts[3];
        let (t, _) = q_prefill(s(&whole), Some(mp.tp), pt.isl);
        close(t, pt.ttft, &format!("{} --tp {}", whole.display(), mp.tp));
        same_points(
            &dd,
            &Measured {
                needs_tp: false,
                prefill: vec![MeasuredPrefill {
                    tp: mp.tp,
                    pts: mp.pts.clone(),
                }],
                decode: vec![MeasuredDecode {
                    tp: md.tp,
                    max_kv_tokens: md.max_kv_tokens,
                    pts: md.pts.clone(),
                }],
            },
        );
    }
    let msg = util::bad_input(&["profile", "query", s(&dir.join("prefill.npz")), "--isl", "1000"]);
    assert!(
        msg.contains("--tp") && ["8", "4", "2"].iter().all(|t| msg.contains(t)),
        "{msg}"
    );
}

// ------------------------------------------------------------------------------------------
// text output, usage errors

#[test]
fn text_output_is_one_readable_line() {
    let out = util::ok(&["profile", "query", "llama-3.1-8b-fp8/h200/vllm", "--isl", "2048"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(!out.contains('{'), "text, not JSON: {out}");
    assert!(
        out.contains("TTFT") && out.contains("2048") && out.contains("ms"),
        "{out}"
    );
    let (t, _) = q_prefill("llama-3.1-8b-fp8/h200/vllm", None, 2048.0);
    assert!(out.contains(&format!("{t:.3}")), "TTFT {t:.3} in {out}");

    let out = util::ok(&[
        "profile",
        "query",
        "llama-3.3-70b-fp8/h100/vllm",
        "--tp",
        "4",
        "--kv-usage",
        "0.25",
        "--context",
        "3000",
    ]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(!out.contains('{'), "text, not JSON: {out}");
    assert!(
        out.contains("ITL") && out.contains("0.25") && out.contains("3000") && out.contains("TP4"),
        "{out}"
    );
    let (itl, _) = q_decode("llama-3.3-70b-fp8/h100/vllm", Some(4), 0.25, 3000.0);
    assert!(out.contains(&format!("{itl:.3}")), "ITL {itl:.3} in {out}");
}

#[test]
fn role_and_tp_selection() {
    // --role picks the engine; the Qwen AIC profile's decode engine is TP2, prefill TP1
    let aic = "qwen3-32b/h200/trtllm-aic";
    let m = measured(aic);
    let pt = m.decode[0].pts[5];
    let a = q_decode(aic, None, pt.kv_usage, pt.context);
    let b = q_decode(aic, Some(2), pt.kv_usage, pt.context);
    assert_eq!(a, b);
    let out = util::ok(&[
        "profile",
        "query",
        aic,
        "--role",
        "decode",
        "--kv-usage",
        &f(pt.kv_usage),
        "--context",
        &f(pt.context),
        "--json",
    ]);
    assert_eq!(json_obj(&out, ["itl_ms", "decode_thpt_per_gpu"]), a);
    let out = util::ok(&[
        "profile", "query", aic, "--role", "prefill", "--tp", "1", "--isl", "2048", "--json",
    ]);
    assert_eq!(
        json_obj(&out, ["ttft_ms", "prefill_thpt_per_gpu"]),
        q_prefill(aic, None, 2048.0)
    );
    // the decode engine has no prefill curve, the prefill engine no decode surface
    let msg = util::bad_input(&["profile", "query", aic, "--role", "decode", "--isl", "2048"]);
    assert!(msg.contains("--role") && msg.contains("prefill curve"), "{msg}");
    let msg = util::bad_input(&[
        "profile",
        "query",
        aic,
        "--role",
        "prefill",
        "--kv-usage",
        "0.5",
        "--context",
        "100",
    ]);
    assert!(msg.contains("--role") && msg.contains("decode surface"), "{msg}");
    // TPs that do not exist, and a missing --tp where several exist
    let msg = util::bad_input(&["profile", "query", aic, "--tp", "2", "--isl", "2048"]);
    assert!(msg.contains("--tp") && msg.contains("TP 1"), "{msg}");
    let l70 = "llama-3.3-70b-fp8/h100/vllm";
    let msg = util::bad_input(&["profile", "query", l70, "--tp", "3", "--isl", "2048"]);
    assert!(msg.contains("--tp") && msg.contains("2, 4, 8"), "{msg}");
    let msg = util::bad_input(&["profile", "query", l70, "--kv-usage", "0.5", "--context", "100"]);
    assert!(msg.contains("--tp") && msg.contains("2, 4, 8"), "{msg}");
}

#[test]
fn query_usage_errors() {
    let n = "llama-3.1-8b-fp8/h200/vllm";
    for (args, flag) in [
        (vec!["--isl", "0"], "--isl"),
        (vec!["--isl=-5"], "--isl"),
        (vec!["--isl", "NaN"], "--isl"),
        (vec!["--isl", "inf"], "--isl"),
        (vec!["--kv-usage=-0.5", "--context", "100"], "--kv-usage"),
        (vec!["--kv-usage", "nan", "--context", "100"], "--kv-usage"),
        (vec!["--kv-usage", "0.5", "--context", "0"], "--context"),
        (vec!["--kv-usage", "0.5", "--context", "inf"], "--context"),
        (vec![], "--isl"),
    ] {
        let mut a = vec!["profile", "query", n];
        a.extend(args.iter().copied());
        let msg = util::bad_input(&a);
        assert!(msg.contains(flag), "{a:?}: {msg}");
    }
    // clap rejects contradictory flags with exit 2 (its usage text may span several lines)
    for extra in [
        vec!["--isl", "100", "--kv-usage", "0.5", "--context", "10"],
        vec!["--kv-usage", "0.5"],
    ] {
        let mut a = vec!["profile", "query", n];
        a.extend(extra);
        let o = util::run(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    }
}

// ------------------------------------------------------------------------------------------
// profile list / show

#[test]
fn profile_list_json() {
    let v: Value = serde_json::from_str(&util::ok(&["profile", "list", "--json"])).unwrap();
    let list = v.as_array().expect("an array");
    assert_eq!(list.len(), 5);
    let mut names: Vec<&str> = list.iter().map(|p| p["name"].as_str().unwrap()).collect();
    names.sort();
    let mut want = SHIPPED.to_vec();
    want.sort();
    assert_eq!(names, want);
    let mut configs = 0;
    for p in list {
        for k in ["name", "model", "gpu", "backend", "origin"] {
            assert!(p[k].as_str().is_some_and(|x| !x.is_empty()), "{k} in {p}");
        }
        let engines = p["engines"].as_array().expect("engines");
        for e in engines {
            let role = e["role"].as_str().unwrap();
            assert!(["prefill", "decode", "agg"].contains(&role), "{e}");
            assert!(e["tp"].as_u64().is_some_and(|t| t >= 1), "{e}");
            assert!(e.get("max_kv_tokens").is_some(), "{e}");
            assert_eq!(e["max_kv_tokens"].is_null(), role == "prefill", "{e}");
        }
        let separated = engines.iter().all(|e| e["role"] != "agg");
        configs += if separated { 1 } else { engines.len() };
        // engines and KV numbers match the measured data
        let m = measured(p["name"].as_str().unwrap());
        let tps = |role: &str| -> Vec<u64> {
            let mut v: Vec<u64> = engines
                .iter()
                .filter(|e| e["role"] == role || e["role"] == "agg")
                .map(|e| e["tp"].as_u64().unwrap())
                .collect();
            v.sort();
            v
        };
        let mut mp: Vec<u64> = m.prefill.iter().map(|x| x.tp as u64).collect();
        let mut md: Vec<u64> = m.decode.iter().map(|x| x.tp as u64).collect();
        mp.sort();
        md.sort();
        assert_eq!(tps("prefill"), mp, "{p}");
        assert_eq!(tps("decode"), md, "{p}");
        for d in &m.decode {
            let e = engines
                .iter()
                .find(|e| e["role"] != "prefill" && e["tp"] == d.tp)
                .unwrap();
            let k = e["max_kv_tokens"].as_f64().unwrap();
            if p["name"] == "qwen3-32b/h200/trtllm-online" {
                // the file's 8224 is an upstream bug; the manifest gives the real capacity
                assert_eq!(d.max_kv_tokens, 8224.0);
                assert!(k > d.max_kv_tokens, "{p}");
            } else if p["name"] == "llama-3.3-70b-fp8/h100/vllm" && d.tp != 2 {
                // the file's one value is the TP2 engine's; the manifest computes TP4 and TP8
                assert_eq!(d.max_kv_tokens, 224133.0);
                assert!(k > 2.5 * d.max_kv_tokens, "{p}");
            } else {
                assert_eq!(k, d.max_kv_tokens, "{p}");
            }
        }
    }
    assert_eq!(configs, 7, "7 engine configs counting TPs");
    for p in list {
        let want = if p["name"] == "llama-3.3-70b-fp8/h100/vllm" {
            "h100_sxm"
        } else {
            "h200_sxm"
        };
        assert_eq!(p["gpu"], want, "{p}");
    }
    // the table form lists every profile
    let text = util::ok(&["profile", "list"]);
    for n in SHIPPED {
        assert!(text.contains(n), "{n} in:\n{text}");
    }
}

#[test]
fn profile_show_json_for_every_shipped_profile() {
    for name in SHIPPED {
        let v: Value = serde_json::from_str(&util::ok(&["profile", "show", name, "--json"])).unwrap();
        assert_eq!(v["name"], name);
        let m = measured(name);
        let lib = slasim::profile::resolve(name).unwrap();
        let engines = v["engines"].as_array().unwrap();
        assert!(!engines.is_empty());
        for e in engines {
            for k in [
                "role",
                "tp",
                "kv_scale_tokens",
                "kv_capacity_tokens",
                "prefill",
                "decode",
                "max_isl_meeting_ttft",
                "max_batch_meeting_itl",
                "peak_prefill_thpt_per_gpu",
                "peak_decode_thpt_per_gpu",
            ] {
                assert!(e.get(k).is_some(), "{name}: `{k}` missing in {e}");
            }
            let tp = e["tp"].as_u64().unwrap() as u32;
            let prefill = e["prefill"].as_array().unwrap();
            if let Some(mp) = m.prefill.iter().find(|x| x.tp == tp && e["role"] != "decode") {
                assert_eq!(prefill.len(), mp.pts.len(), "{name} TP{tp}");
                for (o, pt) in prefill.iter().zip(&mp.pts) {
                    assert_eq!(o["isl"].as_f64().unwrap(), pt.isl);
                    close(
                        o["ttft_ms"].as_f64().unwrap(),
                        pt.ttft,
                        &format!("{name} show ISL {}", pt.isl),
                    );
                }
                // largest ISL meeting the default 500 ms target: meets it, one more token does not
                let max_isl = e["max_isl_meeting_ttft"].as_f64().expect("a number");
                let peak = e["peak_prefill_thpt_per_gpu"].as_f64().unwrap();
                let best = mp.pts.iter().map(|p| p.thpt).fold(0.0, f64::max);
                close(peak, best, &format!("{name} TP{tp} peak prefill"));
                let c = lib.prefill_engine(Some(tp), "--tp").unwrap().prefill.clone().unwrap();
                assert!(c.ttft_ms(max_isl) <= 500.0, "{name} TP{tp}: {max_isl}");
                assert!(c.ttft_ms(max_isl + 1.0) > 500.0, "{name} TP{tp}: {max_isl}");
            } else {
                assert!(prefill.is_empty() && e["max_isl_meeting_ttft"].is_null(), "{name} {e}");
            }
            let decode = e["decode"].as_array().unwrap();
            if let Some(md) = m.decode.iter().find(|x| x.tp == tp && e["role"] != "prefill") {
                assert_eq!(decode.len(), md.pts.len(), "{name} TP{tp}");
                assert_eq!(e["kv_scale_tokens"].as_f64(), Some(md.max_kv_tokens), "{name} TP{tp}");
                let peak = e["peak_decode_thpt_per_gpu"].as_f64().unwrap();
                let best = md.pts.iter().map(|p| p.thpt).fold(0.0, f64::max);
                close(peak, best, &format!("{name} TP{tp} peak decode"));
                let b = e["max_batch_meeting_itl"].as_u64().expect("a batch size");
                assert!(b >= 1, "{name} TP{tp}");
                // the batch meets 50 ms at context 2176; one more request does not (or KV is full)
                let d = lib.decode_engine(Some(tp), "--tp").unwrap();
                let s = d.decode.clone().unwrap();
                let cap = d.kv_capacity_tokens().unwrap();
                assert!(
                    s.itl_ms_for_batch(b as f64 * 2176.0, 2176.0) <= 50.0,
                    "{name} TP{tp}: {b}"
                );
                assert!(
                    s.itl_ms_for_batch((b + 1) as f64 * 2176.0, 2176.0) > 50.0 || (b + 1) as f64 * 2176.0 > cap,
                    "{name} TP{tp}: {b}"
                );
            } else {
                assert!(decode.is_empty() && e["max_batch_meeting_itl"].is_null(), "{name} {e}");
            }
        }
        // text form works too
        let text = util::ok(&["profile", "show", name]);
        assert!(text.contains(name), "{text}");
    }
}

// ------------------------------------------------------------------------------------------
// Dynamo mocker layout: tests/fixtures/mocker_llama8b.npz

const MOCKER: &str = "tests/fixtures/mocker_llama8b.npz";
const LLAMA8: &str = "llama-3.1-8b-fp8/h200/vllm";
/// Active-KV-token axis of the fixture; the last value is the shipped surface's max_kv_tokens.
const MOCKER_KV: [f64; 8] = [
    8192.0, 65536.0, 131072.0, 262144.0, 393216.0, 524288.0, 786432.0, 945029.0,
];

/// Regenerates the mocker fixture from the shipped Llama-3.1-8B profile (run by hand:
/// `cargo test --release --test integration -- --ignored regenerate_mocker_fixture`).
#[test]
#[ignore = "writes tests/fixtures/mocker_llama8b.npz; run by hand"]
fn regenerate_mocker_fixture() {
    let p = slasim::profile::resolve(LLAMA8).unwrap();
    let c = p.prefill_engine(None, "--tp").unwrap().prefill.clone().unwrap();
    let d = p.decode_engine(None, "--tp").unwrap().decode.clone().unwrap();
    assert_eq!(d.kv_scale_tokens, MOCKER_KV[MOCKER_KV.len() - 1]);
    // the measured rows' contexts
    let ctx: Vec<f64> = d.rows.iter().map(|r| r.context).collect();
    let mut itl = Vec::new();
    for k in MOCKER_KV {
        for cx in &ctx {
            itl.push(d.itl_ms(k / d.kv_scale_tokens, *cx));
        }
    }
    let mut n = Npz::new();
    n.set_vec("prefill_isl", c.isl.clone())
        .set_vec("prefill_ttft_ms", c.ttft_ms.clone())
        .set_vec("decode_active_kv_tokens", MOCKER_KV.to_vec())
        .set_vec("decode_context_length", ctx.clone())
        .set(
            "decode_itl",
            &ArrayD::from_shape_vec(IxDyn(&[MOCKER_KV.len(), ctx.len()]), itl).unwrap(),
        );
    n.write(&util::repo().join(MOCKER));
}

struct MockerGrid {
    isl: Vec<f64>,
    ttft: Vec<f64>,
    kv: Vec<f64>,
    ctx: Vec<f64>,
    /// `itl[i][j]` at `kv[i]`, `ctx[j]`.
    itl: Vec<Vec<f64>>,
}

fn mocker_grid(path: &Path) -> MockerGrid {
    let itl2 = read(path, "decode_itl");
    assert_eq!(itl2.ndim(), 2);
    let g = MockerGrid {
        isl: read(path, "prefill_isl").iter().copied().collect(),
        ttft: read(path, "prefill_ttft_ms").iter().copied().collect(),
        kv: read(path, "decode_active_kv_tokens").iter().copied().collect(),
        ctx: read(path, "decode_context_length").iter().copied().collect(),
        itl: itl2.outer_iter().map(|r| r.iter().copied().collect()).collect(),
    };
    assert_eq!(itl2.shape(), [g.kv.len(), g.ctx.len()]);
    g
}

#[test]
fn mocker_layout_is_exact_at_grid_nodes() {
    let path = util::repo().join(MOCKER);
    let spec = s(&path);
    let g = mocker_grid(&path);
    assert_eq!(g.kv, MOCKER_KV);
    let scale = g.kv.iter().copied().fold(0.0, f64::max);
    // prefill: every ISL; throughput derived as isl / ttft · 1000 / TP (TP 1)
    for (isl, ttft) in g.isl.iter().zip(&g.ttft) {
        let (t, th) = q_prefill(spec, None, *isl);
        close(t, *ttft, &format!("mocker ISL {isl}"));
        close(th, isl / ttft * 1000.0, &format!("mocker ISL {isl} thpt"));
    }
    // decode: every grid node, kv_usage = active KV / max(active KV)
    for (i, k) in g.kv.iter().enumerate() {
        for (j, c) in g.ctx.iter().enumerate() {
            let u = k / scale;
            let (itl, th) = q_decode(spec, None, u, *c);
            let what = format!("mocker kv {k} ctx {c}");
            close(itl, g.itl[i][j], &what);
            close(th, (k / c) / g.itl[i][j] * 1000.0, &format!("{what} thpt"));
        }
    }
    // between nodes: along a row (fixed context) the batch-state rule is linear in kv; across
    // rows it blends the rows at the same batch size (slasim::profile::decode), so the CLI
    // gives exactly the library's surface there
    let lib_mocker = slasim::profile::resolve(spec).unwrap();
    let surface = lib_mocker.decode_engine(None, "--tp").unwrap().decode.clone().unwrap();
    for i in 0..g.kv.len() - 1 {
        for j in 0..g.ctx.len() - 1 {
            let um = 0.5 * (g.kv[i] + g.kv[i + 1]) / scale;
            let cm = 0.5 * (g.ctx[j] + g.ctx[j + 1]);
            let (a, b) = (g.itl[i][j], g.itl[i + 1][j]);
            let (along, _) = q_decode(spec, None, um, g.ctx[j]);
            assert!(
                (along - 0.5 * (a + b)).abs() <= 1e-9 * along,
                "kv midpoint {i},{j}: {along}"
            );
            strictly_between(along, a, b, &format!("mocker kv midpoint {i},{j}"));
            for (u, c, what) in [(g.kv[i] / scale, cm, "ctx midpoint"), (um, cm, "cell")] {
                let (cli, _) = q_decode(spec, None, u, c);
                let want = surface.itl_ms(u, c);
                assert!(
                    (cli - want).abs() <= 1e-9 * want && cli.is_finite() && cli > 0.0,
                    "{what} {i},{j}: CLI {cli} vs library {want}"
                );
            }
        }
    }
    // the fixture was derived from the shipped profile (under the rule of the time, now
    // `legacy_itl_ms`): same numbers at the nodes
    let lib = slasim::profile::resolve(LLAMA8).unwrap();
    let shipped = lib.decode_engine(None, "--tp").unwrap().decode.clone().unwrap();
    let pc = lib.prefill_engine(None, "--tp").unwrap().prefill.clone().unwrap();
    assert_eq!(pc.isl, g.isl);
    assert_eq!(pc.ttft_ms, g.ttft);
    for (i, k) in g.kv.iter().enumerate() {
        for (j, c) in g.ctx.iter().enumerate() {
            close(
                shipped.legacy_itl_ms(k / shipped.kv_scale_tokens, *c),
                g.itl[i][j],
                "fixture vs shipped",
            );
        }
    }
    // one engine, aggregated, TP 1
    let p = slasim::profile::resolve(spec).unwrap();
    assert_eq!(p.engines.len(), 1);
    assert_eq!(p.engines[0].tp, 1);
    assert_eq!(p.engines[0].kv_capacity_tokens(), Some(scale));
    // `profile show` works on it
    let v: Value = serde_json::from_str(&util::ok(&["profile", "show", spec, "--json"])).unwrap();
    assert_eq!(v["engines"][0]["kv_scale_tokens"].as_f64(), Some(scale));
}

#[test]
fn mocker_layout_with_max_kv_tokens_key() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mocker.npz");
    let cap = 2.0 * MOCKER_KV[MOCKER_KV.len() - 1];
    let mut n = Npz::open(&util::repo().join(MOCKER));
    assert!(!n.has("max_kv_tokens"));
    n.set("max_kv_tokens", &ArrayD::from_elem(IxDyn(&[1]), cap as i64));
    n.write(&f);
    let g = mocker_grid(&f);
    for (i, k) in g.kv.iter().enumerate() {
        for (j, c) in g.ctx.iter().enumerate().step_by(2) {
            let (itl, _) = q_decode(s(&f), None, k / cap, *c);
            close(itl, g.itl[i][j], &format!("mocker+max_kv_tokens kv {k} ctx {c}"));
        }
    }
    let p = slasim::profile::resolve(s(&f)).unwrap();
    assert_eq!(p.engines[0].kv_capacity_tokens(), Some(cap));
}
