//! A fuzz harness per user-facing parser, in the stable suite (proptest): each parser gets
//! random bytes and random mutations of real, valid files (byte flips, insertions, deletions,
//! duplicated and truncated spans, and "interesting" tokens such as `1e308`, `NaN`,
//! `18446744073709551615`, quotes and brackets). The property: the parser returns `Ok` or a
//! typed `Err`; it never panics (each call runs under `catch_unwind`) and never aborts (an
//! abort would kill this test binary).
//!
//! Parsers: the profile loaders (profiler npz layout with `profile_meta.json`, pre-swept npz,
//! ConfigMap JSON payloads, mocker npz; the `.npy` entries also mutated inside a valid zip), the
//! hardware-run readers (SPEC template, AIPerf, vLLM bench), the trace CSV, the Mooncake trace
//! JSONL (and the engine blocks of its rows), calibration JSON, deployment TOML, sweep space
//! TOML, sweep shard files, the AIConfigurator silicon CSV, the GPU catalog TOML, model
//! `config.json`, efficiency JSON, rate schedules, prediction JSON for `verify`, validate
//! thresholds, the planner YAML and profiler log of `compare-methods`, and the flag-value
//! parsers (`--isl uniform:1:2`, `--think-time`, `--sinusoid`, `--shard`, `--fit-params`,
//! `--methods`, the workload flags through clap down to the first generated requests).
//!
//! `SLASIM_FUZZ_CASES` sets the cases per parser (default 128, a few seconds in all); see
//! `tests/fixtures/README.md` for the longer run and its result.

use crate::util;
use proptest::collection::vec;
use proptest::prelude::*;
use slasim::profile::load::{self, FileSource};
use slasim::profile::npz::NpzArchive;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Cases per parser.
fn cases() -> u32 {
    std::env::var("SLASIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------------------------ inputs

/// Byte strings that often break parsers.
const TOKENS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"-0",
    b"1e308",
    b"-1e308",
    b"1e-320",
    b"NaN",
    b"nan",
    b"inf",
    b"-inf",
    b"18446744073709551615",
    b"9223372036854775808",
    b"4294967296",
    b"99999999999999999999999999",
    b"0.0000000000000000001",
    b"\"",
    b"'",
    b"{",
    b"}",
    b"[",
    b"]",
    b"[[[[[[[[[[[[[[[[",
    b",",
    b":",
    b"=",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xff\xfe",
    b"\xe2\x82\xac",
    b"true",
    b"false",
    b"null",
    b"#",
    b"\\",
    b"(",
    b")",
    b"1000000000000",
];

/// One mutation; positions are reduced modulo the input length when applied.
#[derive(Debug, Clone)]
enum Op {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
    Token(usize, usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let pos = any::<usize>();
    prop_oneof![
        (pos, 1u8..=255).prop_map(|(p, b)| Op::Flip(p, b)),
        (pos, any::<u8>()).prop_map(|(p, b)| Op::Set(p, b)),
        (pos, vec(any::<u8>(), 1..16)).prop_map(|(p, b)| Op::Insert(p, b)),
        (pos, 1usize..64).prop_map(|(p, n)| Op::Delete(p, n)),
        (pos, 1usize..256).prop_map(|(p, n)| Op::Duplicate(p, n)),
        pos.prop_map(Op::Truncate),
        (pos, 0..TOKENS.len(), any::<bool>()).prop_map(|(p, t, replace)| Op::Token(p, t, replace)),
    ]
}

fn mutate(seed: &[u8], ops: &[Op]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for o in ops {
        let len = b.len();
        let at = |p: usize| if len == 0 { 0 } else { p % len };
        match o {
            Op::Flip(p, x) if len > 0 => b[at(*p)] ^= x,
            Op::Set(p, x) if len > 0 => b[at(*p)] = *x,
            Op::Insert(p, x) => {
                let i = at(*p);
                b.splice(i..i, x.iter().copied());
            }
            Op::Delete(p, n) if len > 0 => {
                let i = at(*p);
                b.drain(i..(i + n).min(len));
            }
            Op::Duplicate(p, n) if len > 0 => {
                let i = at(*p);
                let chunk: Vec<u8> = b[i..(i + n).min(len)].to_vec();
                b.splice(i..i, chunk);
            }
            Op::Truncate(p) => b.truncate(at(*p)),
            Op::Token(p, t, replace) => {
                let i = at(*p);
                let tok = TOKENS[*t];
                // replace the token-like run at i (a number, a word) or insert before it
                let end = if *replace {
                    let mut e = i;
                    while e < len && (b[e].is_ascii_alphanumeric() || b".-+_".contains(&b[e])) {
                        e += 1;
                    }
                    e
                } else {
                    i
                };
                b.splice(i..end, tok.iter().copied());
            }
            _ => {}
        }
    }
    b
}

/// Random bytes, or a real file (one of `seeds`) mutated 1–8 times.
fn input(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    assert!(seeds.iter().all(|s| !s.is_empty()), "empty seed");
    let n = seeds.len();
    prop_oneof![
        1 => vec(any::<u8>(), 0..512),
        6 => (0..n, vec(op(), 1..8)).prop_map(move |(i, ops)| mutate(&seeds[i], &ops)),
    ]
}

/// Reads repository files as seeds.
fn seeds(rels: &[&str]) -> Vec<Vec<u8>> {
    rels.iter()
        .map(|r| {
            let p = util::repo().join(r);
            std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// The first `lines` lines of a repository file.
fn head(rel: &str, lines: usize) -> Vec<u8> {
    let p = util::repo().join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.split_inclusive('\n').take(lines).collect::<String>().into_bytes()
}

/// A set of named files: each kept, mutated, replaced by random bytes, or left out.
fn file_set(files: Vec<(&'static str, Vec<u8>)>) -> impl Strategy<Value = BTreeMap<String, Vec<u8>>> {
    let per_file: Vec<_> = files
        .into_iter()
        .map(|(name, seed)| {
            let s = seed.clone();
            prop_oneof![
                2 => Just(Some(seed.clone())),
                6 => vec(op(), 1..8).prop_map(move |ops| Some(mutate(&s, &ops))),
                1 => vec(any::<u8>(), 0..256).prop_map(Some),
                1 => Just(None),
            ]
            .prop_map(move |b| (name, b))
        })
        .collect();
    per_file.prop_map(|v| {
        v.into_iter()
            .filter_map(|(n, b)| b.map(|b| (n.to_string(), b)))
            .collect()
    })
}

/// Entries of a zip archive (name, bytes).
fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("seed npz is a zip");
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).expect("zip entry");
            let mut b = Vec::new();
            e.read_to_end(&mut b).expect("read zip entry");
            (e.name().to_string(), b)
        })
        .collect()
}

fn zip_of(entries: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opt = zip::write::SimpleFileOptions::default().compression_method(method);
    for (n, b) in entries {
        w.start_file(n.as_str(), opt).expect("zip entry");
        w.write_all(b).expect("write zip entry");
    }
    w.finish().expect("finish zip").into_inner()
}

/// An npz seed with one `.npy` entry mutated and re-zipped (so the zip layer is valid and the
/// mutation reaches the `.npy` parser), or the whole archive mutated.
fn npz_input(seed_files: &[&str]) -> impl Strategy<Value = Vec<u8>> {
    let archives: Vec<Vec<(String, Vec<u8>)>> = seeds(seed_files).iter().map(|b| zip_entries(b)).collect();
    let whole = input(seeds(seed_files));
    let n = archives.len();
    prop_oneof![
        1 => whole,
        2 => (0..n, any::<usize>(), vec(op(), 1..6), any::<bool>()).prop_map(move |(a, e, ops, deflate)| {
            let mut entries = archives[a].clone();
            let k = e % entries.len();
            entries[k].1 = mutate(&entries[k].1, &ops);
            zip_of(&entries, deflate)
        }),
    ]
}

// ------------------------------------------------------------------------------ property

/// Runs `f` and fails the case if it panics.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<(), TestCaseError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => Ok(()),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(TestCaseError::fail(format!("{what} panicked: {msg}")))
        }
    }
}

/// Writes `bytes` to a fresh file named `name` and runs `f` on its path.
fn with_file<T>(name: &str, bytes: &[u8], f: impl FnOnce(&Path) -> T) -> T {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path().join(name);
    std::fs::write(&p, bytes).expect("write fuzz input");
    f(&p)
}

/// Files held in memory, for the profile loaders' directory layouts.
struct Mem(BTreeMap<String, Vec<u8>>);

impl FileSource for Mem {
    fn read(&self, rel: &str) -> Option<slasim::Result<Cow<'_, [u8]>>> {
        self.0.get(rel).map(|b| Ok(Cow::Borrowed(b.as_slice())))
    }
    fn display(&self, rel: &str) -> String {
        format!("fuzz/{rel}")
    }
}

/// Loads a directory layout and queries every engine it yields, as the commands do.
fn load_and_query(files: BTreeMap<String, Vec<u8>>, row: Option<usize>) {
    if let Ok((engines, _meta)) = load::load_source(&Mem(files), row) {
        for e in engines {
            let _ = e.kv_capacity_tokens();
            if let Some(p) = &e.prefill {
                for isl in [1.0, 2048.0, 1e7] {
                    let _ = (p.ttft_ms(isl), p.thpt_per_gpu(isl));
                }
                let _ = p.max_isl_within(500.0);
            }
            if let Some(d) = &e.decode {
                for (u, c) in [(0.0, 1.0), (0.5, 2048.0), (2.0, 1e7)] {
                    let _ = (d.itl_ms(u, c), d.thpt_per_gpu(u, c));
                }
                let _ = d.max_batch_within(2048.0, 50.0, 1e6);
            }
        }
    }
}

const AIC: &str = "profiles/qwen3-32b/h200/trtllm-aic";
const PRE_SWEPT: &str = "profiles/llama-3.3-70b-fp8/h100/vllm";
const CONFIGMAP: &str = "tests/fixtures/dynamo/benchmarks/profiler/comparison/results/aic_all";

fn profiler_files() -> Vec<(&'static str, Vec<u8>)> {
    let s = seeds(&[
        &format!("{AIC}/selected_prefill_interpolation/raw_data.npz"),
        &format!("{AIC}/selected_decode_interpolation/raw_data.npz"),
        &format!("{AIC}/profile_meta.json"),
    ]);
    vec![
        ("selected_prefill_interpolation/raw_data.npz", s[0].clone()),
        ("selected_decode_interpolation/raw_data.npz", s[1].clone()),
        ("profile_meta.json", s[2].clone()),
    ]
}

fn pre_swept_files() -> Vec<(&'static str, Vec<u8>)> {
    let s = seeds(&[&format!("{PRE_SWEPT}/prefill.npz"), &format!("{PRE_SWEPT}/decode.npz")]);
    vec![("prefill.npz", s[0].clone()), ("decode.npz", s[1].clone())]
}

fn configmap_files() -> Vec<(&'static str, Vec<u8>)> {
    let s = seeds(&[
        &format!("{CONFIGMAP}/prefill_raw_data.json"),
        &format!("{CONFIGMAP}/decode_raw_data.json"),
        &format!("{CONFIGMAP}/profile_meta.json"),
    ]);
    vec![
        ("prefill_raw_data.json", s[0].clone()),
        ("decode_raw_data.json", s[1].clone()),
        ("profile_meta.json", s[2].clone()),
    ]
}

/// A shipped profile for the parsers whose output is built on one.
fn qwen() -> &'static slasim::profile::Profile {
    static P: std::sync::OnceLock<slasim::profile::Profile> = std::sync::OnceLock::new();
    P.get_or_init(|| slasim::profile::resolve("qwen3-32b/h200/trtllm-aic").expect("shipped profile"))
}

// ------------------------------------------------------------------------------ harnesses

proptest! {
    #![proptest_config(config())]

    #[test]
    fn profiler_npz_layout(files in file_set(profiler_files())) {
        no_panic("profiler layout", || load_and_query(files, None))?;
    }

    #[test]
    fn pre_swept_npz_layout(files in file_set(pre_swept_files()), row in prop::option::of(0usize..5)) {
        no_panic("pre-swept layout", || load_and_query(files, row))?;
    }

    #[test]
    fn npy_entries_inside_valid_archives(bytes in npz_input(&[
        "profiles/qwen3-32b/h200/trtllm-aic/selected_decode_interpolation/raw_data.npz",
        "profiles/llama-3.3-70b-fp8/h100/vllm/prefill.npz",
        "tests/fixtures/mocker_llama8b.npz",
    ])) {
        no_panic("npz arrays", || {
            if let Ok(a) = NpzArchive::open("fuzz.npz", &bytes) {
                for k in a.names().to_vec() {
                    let _ = a.numeric(&k);
                    let _ = a.unicode(&k);
                }
                let _ = load::prefill_from_npz(&a, 1);
                let _ = load::decode_from_npz(&a, 1);
                let _ = load::mocker(&a);
            }
        })?;
    }

    #[test]
    fn mocker_npz(bytes in npz_input(&["tests/fixtures/mocker_llama8b.npz"])) {
        no_panic("mocker npz", || {
            if let Ok(a) = NpzArchive::open("fuzz.npz", &bytes) {
                if let Ok(e) = load::mocker(&a) {
                    load_and_query_engine(&e);
                }
            }
        })?;
    }

    #[test]
    fn dynamo_planner_json_payloads(files in file_set(configmap_files())) {
        no_panic("ConfigMap JSON layout", || {
            for (name, b) in &files {
                let _ = load::prefill_from_json(name, b, 1);
                let _ = load::decode_from_json(name, b, 2);
            }
            load_and_query(files, None)
        })?;
    }

    #[test]
    fn hardware_run_json(bytes in input(seeds(&[
        "calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json",
        "tests/fixtures/runs/template_hw_llama8b.json",
        "tests/fixtures/runs/vllm_bench_llama8b.json",
    ]))) {
        no_panic("hardware-run readers", || {
            let _ = slasim::calibrate::hwrun::HwRun::from_bytes_detailed("fuzz/run.json", &bytes);
            let _ = slasim::calibrate::hwrun::HwRun::from_bytes_all("fuzz/run.json", &bytes);
        })?;
    }

    #[test]
    fn trace_csv(bytes in input(vec![
        head("traces/splitwise_conv.csv", 60),
        head("tests/fixtures/vidur/processed_traces/arxiv_summarization_first1000.csv", 60),
    ])) {
        no_panic("trace CSV", || {
            if let Ok(t) = slasim::workload::Trace::from_csv_bytes("fuzz.csv", &bytes) {
                let _ = (t.span_s(), t.mean_rate_rps(), t.mean_lengths(), t.check());
            }
        })?;
    }

    #[test]
    fn mooncake_trace_jsonl(bytes in input(vec![
        head("traces/mooncake_conversation.jsonl", 8),
        head("traces/mooncake_synthetic.jsonl", 8),
    ]), block in prop_oneof![Just(512u32), 1u32..2048]) {
        no_panic("Mooncake trace JSONL", || {
            for t in [
                slasim::workload::Trace::from_jsonl_bytes("fuzz.jsonl", &bytes, block),
                slasim::workload::Trace::from_bytes_with("fuzz.jsonl", &bytes, block),
            ]
            .into_iter()
            .flatten()
            {
                let _ = (t.span_s(), t.mean_rate_rps(), t.mean_lengths(), t.check());
                for row in 0..t.rows.len().min(4) {
                    let c = slasim::workload::content::ContentRef {
                        content: slasim::workload::content::Content::TraceRow { row: row as u32 },
                        covered_tokens: t.rows[row].isl,
                    };
                    let _ = slasim::workload::content::BlockHashes::new(c, 16, Some(&t)).count();
                }
            }
        })?;
    }

    #[test]
    fn calibration_json(bytes in input(seeds(&["calibration/qwen3-32b-h200-trtllm-aic.json"]))) {
        no_panic("calibration JSON", || {
            with_file("cal.json", &bytes, |p| slasim::sim::calibration::Calibration::load(p).map(|_| ()))
        })?;
    }

    #[test]
    fn deployment_toml(bytes in input(seeds(&["calibration/deployments/qwen3-32b-h200-trtllm-aic.toml"]))) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        no_panic("deployment TOML", || {
            if let Ok(d) = slasim::sim::deployment::DeploymentOptions::from_toml("fuzz.toml", &text) {
                let _ = d.build(qwen());
            }
        })?;
    }

    #[test]
    fn sweep_space_toml(bytes in input(seeds(&[
        "calibration/spaces/llama-3.3-70b-h100.toml",
        "calibration/spaces/qwen3-32b-h200-1000.toml",
    ]))) {
        no_panic("sweep space TOML", || {
            with_file("space.toml", &bytes, |p| slasim::search::space::SpaceSpec::load(p).map(|_| ()))
        })?;
    }

    #[test]
    fn silicon_csv(bytes in input(vec![head("calibration/silicon/llama-3.1-8b_h200_sglang_agg.csv", 12)])) {
        no_panic("silicon CSV", || slasim::analytic::silicon::parse_csv("fuzz.csv", &bytes, None).map(|_| ()))?;
    }

    #[test]
    fn gpu_catalog_toml(bytes in input(seeds(&["profiles/gpus.toml"]))) {
        no_panic("GPU catalog TOML", || {
            with_file("gpus.toml", &bytes, |p| slasim::analytic::gpu::GpuCatalog::load(Some(p)).map(|_| ()))
        })?;
    }

    #[test]
    fn model_config_json(bytes in input(seeds(&[
        "profiles/models/Qwen/Qwen3-30B-A3B/config.json",
        "profiles/models/meta-llama/Llama-3.1-8B-Instruct/config.json",
    ]))) {
        no_panic("model config.json", || {
            if let Ok(m) = slasim::analytic::model::ModelSpec::from_json_bytes("fuzz", "fuzz/config.json", &bytes) {
                let _ = (m.params_total(), m.params_active(), m.check_tp(2));
            }
        })?;
    }

    #[test]
    fn efficiency_json(bytes in input(vec![br#"{"schema": "slasim.roofline-efficiency.v1", "entries": [
        {"gpu": "h100_sxm", "backend": "vllm", "efficiency": {"gemm": 0.62, "attention": 0.5},
         "fitted_on": ["llama-3.3-70b-fp8/h100/vllm TP2 agg"], "mape_pct": {"ttft": 4.1, "itl": 6.3}}]}"#.to_vec(),
        br#"{"gemm": 0.6}"#.to_vec()])) {
        no_panic("efficiency JSON", || {
            with_file("eff.json", &bytes, |p| slasim::analytic::efficiency::EfficiencyFile::load(p).map(|_| ()))
        })?;
    }

    #[test]
    fn rate_schedule_csv(bytes in input(vec![b"start_s,rps\n0,2\n60,5.5\n120,1\n".to_vec()])) {
        no_panic("rate schedule", || slasim::workload::parse_rate_schedule("fuzz.csv", &bytes).map(|_| ()))?;
    }

    #[test]
    fn verify_prediction_json(bytes in input(seeds(&["tests/fixtures/runs/aic_prediction_qwen3_32b.json"]))) {
        no_panic("prediction JSON", || slasim::calibrate::verify::Prediction::from_bytes("fuzz.json", &bytes).map(|_| ()))?;
    }

    #[test]
    fn validate_thresholds_toml(bytes in input(seeds(&["calibration/validate_thresholds.toml"]))) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        no_panic("thresholds TOML", || slasim::validate::thresholds::parse("fuzz.toml", &text).map(|_| ()))?;
    }

    #[test]
    fn planner_yaml_and_profiler_log(
        yaml in input(seeds(&["tests/fixtures/compare/planner_yaml/config_with_planner.yaml"])),
        log in input(seeds(&["tests/fixtures/compare/planner_yaml/profile_sla.log"])),
    ) {
        let (yaml, log) = (String::from_utf8_lossy(&yaml).into_owned(), String::from_utf8_lossy(&log).into_owned());
        no_panic("planner YAML", || slasim::methods::real::yaml::parse("fuzz.yaml", &yaml).map(|_| ()))?;
        no_panic("profiler log", || slasim::methods::real::log::parse(&log))?;
    }

    #[test]
    fn sweep_shard_file(bytes in input(vec![shard_seed()])) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        no_panic("shard file", || slasim::search::report::ShardFile::from_text("fuzz.json", &text).map(|_| ()))?;
    }

    #[test]
    fn flag_values(
        isl in flag_value("uniform:1:2"),
        osl in flag_value("lognormal:256:64"),
        rps in flag_value("2.5"),
        sinusoid in flag_value("5:45:1800"),
        other in flag_value("zipf:4096:1.2"),
        pick in 0usize..6,
    ) {
        no_panic("length distributions", || {
            for s in [&isl, &osl, &other] {
                let _ = slasim::workload::LengthDist::parse("--isl", s);
            }
        })?;
        no_panic("--sinusoid", || slasim::workload::ArrivalPattern::parse_sinusoid(&sinusoid).map(|_| ()))?;
        no_panic("--think-time", || {
            for v in [&rps, &other, &osl] {
                let _ = slasim::workload::DelayDist::parse("--think-time", v);
            }
        })?;
        no_panic("--shard", || slasim::search::space::Shard::parse(&other).map(|_| ()))?;
        no_panic("--fit-params", || slasim::calibrate::params::Param::parse(&other).map(|_| ()))?;
        no_panic("--methods", || {
            slasim::methods::parse_methods(&other, slasim::methods::MethodParams { top: 1, budget: 2 }).map(|_| ())
        })?;
        no_panic("profile #ROW suffix", || load::split_row_suffix(&other))?;
        // the workload flags through clap, down to the first generated requests
        let load_flag = ["--rps", "--concurrency", "--sinusoid", "--rps", "--requests", "--duration"][pick];
        let args = vec![
            "slasim".to_string(), "simulate".into(),
            "--isl".into(), isl.clone(), "--osl".into(), osl.clone(),
            load_flag.into(), if load_flag == "--sinusoid" { sinusoid.clone() } else { rps.clone() },
            "--cv".into(), other.clone(),
        ];
        no_panic("simulate workload flags", || workload_from_flags(&args))?;
    }
}

/// Loads an engine's curves as [`load_and_query`] does.
fn load_and_query_engine(e: &slasim::profile::EngineProfile) {
    let _ = e.kv_capacity_tokens();
    if let Some(p) = &e.prefill {
        let _ = (p.ttft_ms(2048.0), p.max_isl_within(500.0));
    }
    if let Some(d) = &e.decode {
        let _ = (d.itl_ms(0.5, 2048.0), d.max_batch_within(2048.0, 50.0, 1e6));
    }
}

/// A short valid value, mutated, or random text.
fn flag_value(seed: &'static str) -> impl Strategy<Value = String> {
    input(vec![seed.as_bytes().to_vec()]).prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Parses `args` with clap and builds the workloads, drawing a few requests of each.
fn workload_from_flags(args: &[String]) {
    use clap::Parser;
    let Ok(cli) = slasim::cli::Cli::try_parse_from(args) else {
        return;
    };
    let slasim::cli::Command::Simulate(a) = cli.command else {
        return;
    };
    let Ok(ws) = a.workload.workloads() else {
        return;
    };
    for w in ws {
        if w.validate().is_err() {
            continue;
        }
        if let Ok(mut g) = w.generator() {
            for _ in 0..4 {
                let _ = g.next_arrival();
                let _ = g.next_shape();
            }
        }
    }
}

/// A small shard file, as `sweep --shard 0/1` writes it.
fn shard_seed() -> Vec<u8> {
    static S: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let d = tempfile::tempdir().expect("tempdir");
        let f = d.path().join("shard.json");
        util::ok(&[
            "sweep",
            "--model",
            "nvidia/Llama-3.3-70B-Instruct-FP8",
            "--gpu",
            "h100_sxm",
            "--backend",
            "vllm",
            "--tp",
            "2,4",
            "--concurrency",
            "1",
            "--search-requests",
            "50",
            "--shard",
            "0/1",
            "--json",
            f.to_str().expect("utf-8 path"),
        ]);
        std::fs::read(&f).expect("shard file")
    })
    .clone()
}

// ------------------------------------------------------------------------------ the harness itself

#[test]
fn the_harness_sees_panics_and_its_seeds_are_valid() {
    assert!(no_panic("x", || panic!("boom")).is_err());
    assert!(no_panic("x", || 1).is_ok());
    // mutations start from files each parser accepts
    let mem = |files: Vec<(&str, Vec<u8>)>| Mem(files.into_iter().map(|(n, b)| (n.to_string(), b)).collect());
    for files in [profiler_files(), pre_swept_files(), configmap_files()] {
        let (engines, _) = load::load_source(&mem(files), None).expect("seed layout loads");
        assert!(!engines.is_empty());
    }
    let mocker = seeds(&["tests/fixtures/mocker_llama8b.npz"]).remove(0);
    load::mocker(&NpzArchive::open("m.npz", &mocker).expect("npz")).expect("mocker seed");
    for f in [
        "calibration/runs/qwen3-32b-h200-trtllm-aic/medium.json",
        "tests/fixtures/runs/template_hw_llama8b.json",
        "tests/fixtures/runs/vllm_bench_llama8b.json",
    ] {
        let b = seeds(&[f]).remove(0);
        slasim::calibrate::hwrun::HwRun::from_bytes(f, &b).unwrap_or_else(|e| panic!("{e}"));
    }
    slasim::workload::Trace::from_csv_bytes("t.csv", &head("traces/splitwise_conv.csv", 60)).expect("trace seed");
    for f in ["traces/mooncake_conversation.jsonl", "traces/mooncake_synthetic.jsonl"] {
        slasim::workload::Trace::from_jsonl_bytes("t.jsonl", &head(f, 8), 512).expect("Mooncake seed");
    }
    let toml =
        String::from_utf8(seeds(&["calibration/deployments/qwen3-32b-h200-trtllm-aic.toml"]).remove(0)).expect("utf-8");
    slasim::sim::deployment::DeploymentOptions::from_toml("d.toml", &toml)
        .and_then(|d| d.build(qwen()))
        .expect("deployment seed");
    slasim::analytic::silicon::parse_csv(
        "s.csv",
        &head("calibration/silicon/llama-3.1-8b_h200_sglang_agg.csv", 12),
        None,
    )
    .expect("silicon seed");
    slasim::workload::parse_rate_schedule("r.csv", b"start_s,rps\n0,2\n60,5.5\n120,1\n").expect("rate seed");
    slasim::search::report::ShardFile::from_text("s.json", &String::from_utf8(shard_seed()).expect("utf-8"))
        .expect("shard seed");
    slasim::workload::LengthDist::parse("--isl", "uniform:1:2").expect("length seed");
    slasim::workload::ArrivalPattern::parse_sinusoid("5:45:1800").expect("sinusoid seed");
    let with_eff = |b: &[u8]| {
        with_file("e.json", b, |p| {
            slasim::analytic::efficiency::EfficiencyFile::load(p).map(|_| ())
        })
    };
    with_eff(br#"{"gemm": 0.6}"#).expect("efficiency seed");
}
