//! Hardware-run readers (`slasim::calibrate::hwrun`): the four real AIPerf runs of the Dynamo
//! comparison, the SPEC template (including `slasim simulate --json` / `--aiperf-json` output
//! read back), the vLLM `benchmark_serving` fixture, and every bad-input case (a typed one-line
//! error naming the file and the key).

use crate::util;
use approx::assert_relative_eq;
use serde_json::{json, Value};
use slasim::calibrate::hwrun::{HwRun, RunExtras, RunFormat, RunLoad};
use std::path::{Path, PathBuf};

/// The real runs shipped in `calibration/runs/` (byte copies of the Dynamo AIPerf exports).
fn shipped_run(level: &str) -> PathBuf {
    util::repo()
        .join("calibration/runs/qwen3-32b-h200-trtllm-aic")
        .join(format!("{level}.json"))
}

/// The same runs in their upstream folder layout (`tests/fixtures/dynamo`, byte copies).
fn layout_run(level: &str) -> PathBuf {
    util::dynamo_data()
        .join("benchmarks/profiler/comparison/results/aic_all/validation")
        .join(level)
        .join("profile_export_aiperf.json")
}

fn fixture(name: &str) -> PathBuf {
    util::repo().join("tests/fixtures/runs").join(name)
}

fn read_value(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn load(p: &Path) -> HwRun {
    HwRun::load(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn load_detailed(p: &Path) -> (HwRun, RunExtras) {
    HwRun::load_detailed(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_else(|e| panic!("{e}"))
}

/// Sets the value at a dotted path (creating objects), or removes it when `new` is `None`.
fn edit(v: &mut Value, path: &str, new: Option<Value>) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut cur = v;
    for p in &parts[..parts.len() - 1] {
        cur = cur
            .as_object_mut()
            .unwrap_or_else(|| panic!("{path}: not an object at {p}"))
            .entry(p.to_string())
            .or_insert_with(|| json!({}));
    }
    let o = cur
        .as_object_mut()
        .unwrap_or_else(|| panic!("{path}: parent not an object"));
    let last = parts[parts.len() - 1];
    match new {
        Some(x) => {
            o.insert(last.to_string(), x);
        }
        None => {
            o.remove(last);
        }
    }
}

/// Asserts that reading `bytes` as `file` fails with a one-line error naming `file` and `key`
/// (and containing `needle`).
#[track_caller]
fn assert_bad(file: &str, bytes: &[u8], key: &str, needle: &str) {
    match HwRun::from_bytes(file, bytes) {
        Ok(r) => panic!("{file}: expected an error about `{key}`, read {r:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "multi-line error: {msg}");
            assert!(
                msg.starts_with(&format!("{file}: ")),
                "error does not name the file first: {msg}"
            );
            assert!(msg.contains(&format!("`{key}`")), "error does not name `{key}`: {msg}");
            assert!(msg.contains(needle), "error lacks \"{needle}\": {msg}");
            assert!(
                matches!(e, slasim::Error::Data { .. }),
                "expected a typed data error: {e:?}"
            );
        }
    }
}

/// (level, concurrency, TTFT p50 ms, ITL p50 ms, E2E p50 ms, output tokens/s) of the real runs.
const REAL: [(&str, u32, f64, f64, f64, f64); 4] = [
    (
        "idle",
        1,
        1119.6304375,
        14.288462662745097,
        4767.056208999999,
        53.30582344254561,
    ),
    (
        "medium",
        4,
        2066.233917,
        12.814221566666665,
        5333.403166499999,
        183.79035001031562,
    ),
    (
        "saturation",
        7,
        6297.093583,
        12.696241339215685,
        9489.701853999999,
        182.53873125829145,
    ),
    (
        "overload",
        8,
        7376.414604,
        12.818195833333332,
        10628.932729,
        184.70772004992645,
    ),
];

#[test]
fn real_aiperf_runs_read_with_their_load_lengths_and_metrics() {
    for (level, conc, ttft, itl, e2e, tput) in REAL {
        let p = shipped_run(level);
        let (r, x) = load_detailed(&p);
        assert_eq!(r.format, RunFormat::Aiperf, "{level}");
        assert_eq!(r.name, level, "name from the file stem");
        assert_eq!(r.file, p.display().to_string());
        assert_eq!(r.load, RunLoad::Concurrency(conc), "{level}");
        assert_eq!(r.requests, 100, "{level}");
        assert_eq!((r.isl, r.osl), (2048, 256), "{level}");
        assert_eq!(r.config.model.as_deref(), Some("Qwen/Qwen3-32B"));
        assert_eq!(r.config.tp, None, "an AIPerf export states no deployment");
        let sla = r.sla.unwrap_or_else(|| panic!("{level}: no SLA"));
        assert_eq!((sla.ttft_ms, sla.itl_ms), (500.0, 50.0));
        let m = &r.metrics;
        assert_relative_eq!(m.ttft_p50_ms.unwrap_or(0.0), ttft, max_relative = 1e-12);
        assert_relative_eq!(m.tpot_p50_ms.unwrap_or(0.0), itl, max_relative = 1e-12);
        assert_relative_eq!(m.e2e_p50_ms.unwrap_or(0.0), e2e, max_relative = 1e-12);
        assert_relative_eq!(m.throughput_token_s.unwrap_or(0.0), tput, max_relative = 1e-12);
        // The rounded figures of the brief.
        assert!((m.ttft_p50_ms.unwrap_or(0.0) - ttft).abs() < 0.1);
        for v in [
            m.ttft_p99_ms,
            m.ttft_mean_ms,
            m.tpot_p99_ms,
            m.tpot_mean_ms,
            m.e2e_p99_ms,
            m.request_throughput,
        ] {
            assert!(v.is_some_and(|v| v > 0.0), "{level}: {m:?}");
        }
        assert!(m.ttft_p99_ms > m.ttft_p50_ms && m.e2e_p99_ms > m.e2e_p50_ms);
        assert_eq!(
            m.goodput_req_s,
            Some(0.0),
            "no request met 500 ms TTFT: goodput 0 is valid"
        );
        assert!(r.metrics.ttft_p90_ms.is_some() && r.metrics.tpot_p90_ms.is_some() && r.metrics.e2e_p90_ms.is_some());
        assert!(r.metrics.e2e_mean_ms.is_some());
        assert_eq!(x.num_gpus, None);
    }
    // The rounded values quoted in the calibration plan.
    let approx: [(f64, f64); 4] = [(1119.6, 14.29), (2066.2, 12.81), (6297.1, 12.70), (7376.4, 12.82)];
    for ((level, ..), (ttft, itl)) in REAL.iter().zip(approx) {
        let r = load(&shipped_run(level));
        assert!((r.metrics.ttft_p50_ms.unwrap_or(0.0) - ttft).abs() < 0.05, "{level}");
        assert!((r.metrics.tpot_p50_ms.unwrap_or(0.0) - itl).abs() < 0.005, "{level}");
    }
}

#[test]
fn shipped_runs_are_byte_copies_of_the_upstream_files_and_named_by_folder_there() {
    for (level, ..) in REAL {
        let upstream = layout_run(level);
        let a = std::fs::read(shipped_run(level)).unwrap_or_default();
        let b = std::fs::read(&upstream).unwrap_or_default();
        assert!(
            !a.is_empty() && a == b,
            "{level}: calibration/runs copy differs from {}",
            upstream.display()
        );
        let r = load(&upstream);
        assert_eq!(r.name, level, "profile_export_aiperf.json is named by its folder");
        let mut c = load(&shipped_run(level));
        c.name = r.name.clone();
        c.file = r.file.clone();
        assert_eq!(c, r);
    }
    // from_bytes with a path-like name: the same rule.
    let b = std::fs::read(shipped_run("idle")).unwrap_or_default();
    let r = HwRun::from_bytes("x/y/idle/profile_export_aiperf.json", &b).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.name, "idle");
    let r = HwRun::from_bytes("profile_export_aiperf.json", &b).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.name, "profile_export_aiperf", "no parent folder: the stem");
}

#[test]
fn aiperf_units_and_fallbacks_are_normalised() {
    let base = read_value(&shipped_run("medium"));
    let r0 = HwRun::from_bytes("medium.json", &bytes(&base)).unwrap_or_else(|e| panic!("{e}"));
    // request_latency in seconds → the same ms.
    let mut v = base.clone();
    let lat = v["request_latency"]
        .as_object_mut()
        .unwrap_or_else(|| panic!("no request_latency"));
    for (k, x) in lat.iter_mut() {
        if let Some(f) = x.as_f64() {
            if k != "unit" {
                *x = json!(f / 1000.0);
            }
        }
    }
    lat.insert("unit".into(), json!("sec"));
    let r = HwRun::from_bytes("medium.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_relative_eq!(
        r.metrics.e2e_p50_ms.unwrap_or(0.0),
        r0.metrics.e2e_p50_ms.unwrap_or(1.0),
        max_relative = 1e-12
    );
    assert_relative_eq!(
        r.metrics.e2e_p99_ms.unwrap_or(0.0),
        r0.metrics.e2e_p99_ms.unwrap_or(1.0),
        max_relative = 1e-12
    );
    // Lengths and request count fall back to the measured top-level entries.
    let mut v = base.clone();
    edit(&mut v, "input_config.input.prompt", None);
    edit(&mut v, "input_config.loadgen.request_count", None);
    edit(&mut v, "input_sequence_length.avg", Some(json!(1000.4)));
    let r = HwRun::from_bytes("medium.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.isl, r.osl, r.requests), (1000, 256, 100));
    // An open-loop AIPerf run.
    let mut v = base.clone();
    edit(
        &mut v,
        "input_config.loadgen",
        Some(json!({"request_rate": 2.5, "request_count": 300})),
    );
    let r = HwRun::from_bytes("rate.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.load, RunLoad::Poisson { rps: 2.5 });
    assert_eq!(r.requests, 300);
    // No goodput block → no SLA; a missing metric is just not reported.
    let mut v = base;
    edit(&mut v, "input_config.input.goodput", None);
    edit(&mut v, "request_latency", None);
    let r = HwRun::from_bytes("medium.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.sla, None);
    assert_eq!((r.metrics.e2e_p50_ms, r.metrics.e2e_p99_ms), (None, None));
}

#[test]
fn template_fixture_reads_config_workload_and_converts_e2e_to_ms() {
    let p = fixture("template_hw_llama8b.json");
    let (r, x) = load_detailed(&p);
    assert_eq!(r.format, RunFormat::Template);
    assert_eq!(r.name, "llama8b-h200-vllm-tp1-poisson4");
    assert_eq!(r.load, RunLoad::Poisson { rps: 4.0 });
    assert_eq!((r.requests, r.isl, r.osl), (400, 1024, 256));
    let c = &r.config;
    assert_eq!(c.model.as_deref(), Some("nvidia/Llama-3.1-8B-Instruct-FP8"));
    assert_eq!(c.gpu.as_deref(), Some("h200_sxm"));
    assert_eq!(c.profile.as_deref(), Some("llama-3.1-8b-fp8/h200/vllm"));
    assert_eq!(c.mode.as_deref(), Some("agg"));
    assert_eq!(
        (c.tp, c.replicas, c.prefill_tp, c.decode_tp),
        (Some(1), None, None, None)
    );
    assert_eq!(c.max_num_seqs, Some(256));
    assert_eq!(c.num_gpus(), Some(1));
    let m = &r.metrics;
    assert_eq!(
        (m.ttft_p50_ms, m.ttft_p99_ms, m.ttft_mean_ms),
        (Some(31.7), Some(71.2), Some(35.4))
    );
    assert_eq!(
        (m.tpot_p50_ms, m.tpot_p99_ms, m.tpot_mean_ms),
        (Some(6.52), Some(7.94), Some(6.61))
    );
    assert_relative_eq!(m.e2e_p50_ms.unwrap_or(0.0), 1695.0, max_relative = 1e-12);
    assert_relative_eq!(m.e2e_p99_ms.unwrap_or(0.0), 2091.0, max_relative = 1e-12);
    assert_eq!(m.throughput_token_s, Some(1019.6));
    assert_eq!(
        (m.request_throughput, m.goodput_req_s),
        (None, None),
        "not reported → None"
    );
    assert_eq!(r.sla, None);
    assert_eq!(x, RunExtras::default());
    // Without experiment_id the name is the file stem; a workload type may be implied.
    let mut v = read_value(&p);
    edit(&mut v, "experiment_id", None);
    edit(&mut v, "workload.type", None);
    let r = HwRun::from_bytes("runs/my-run.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.name, "my-run");
    assert_eq!(r.load, RunLoad::Poisson { rps: 4.0 });
    // Concurrency and burst templates; itl_ms stands in for tpot_ms; a length spec gives its mean.
    let mut v = read_value(&p);
    edit(
        &mut v,
        "workload",
        Some(json!({"type": "concurrency", "concurrency": 16, "requests": 64,
        "isl": "uniform:1000:3000", "osl": "normal:200:20"})),
    );
    let tpot = v["metrics"]["tpot_ms"].clone();
    edit(&mut v, "metrics.tpot_ms", None);
    edit(&mut v, "metrics.itl_ms", Some(tpot));
    let r = HwRun::from_bytes("c16.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.load.clone(), r.requests, r.isl, r.osl),
        (RunLoad::Concurrency(16), 64, 2000, 200)
    );
    assert_eq!(r.metrics.tpot_p50_ms, Some(6.52));
    edit(&mut v, "workload.type", Some(json!("burst")));
    let r = HwRun::from_bytes("burst.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.load, RunLoad::Burst);
    // Disagg config blocks.
    let mut v = read_value(&p);
    edit(
        &mut v,
        "config",
        Some(json!({"mode": "disaggregated", "prefill": {"tp": 1, "workers": 2},
        "decode": {"tp": 4, "workers": 1}, "num_gpus": 6})),
    );
    let (r, x) = HwRun::from_bytes_detailed("d.json", &bytes(&v)).unwrap_or_else(|e| panic!("{e}"));
    let c = &r.config;
    assert_eq!(c.mode.as_deref(), Some("disagg"));
    assert_eq!(
        (c.prefill_tp, c.prefill_workers, c.decode_tp, c.decode_workers),
        (Some(1), Some(2), Some(4), Some(1))
    );
    assert_eq!((c.tp, c.num_gpus(), x.num_gpus), (None, Some(6), Some(6)));
}

/// Runs `slasim simulate ARGS --json F [--aiperf-json G]` in a temp dir; returns (dir, F, G).
fn simulate(args: &[&str], aiperf: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let f = d.path().join("sim.json");
    let g = d.path().join("aiperf.json");
    let (fs, gs) = (f.display().to_string(), g.display().to_string());
    let mut a = vec!["simulate"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--json", &fs]);
    if aiperf {
        a.extend_from_slice(&["--aiperf-json", &gs]);
    }
    util::ok(&a);
    (d, f, g)
}

#[test]
fn simulate_json_output_reads_back_as_a_run() {
    let (_d, f, g) = simulate(&["--concurrency", "4"], true);
    let v = read_value(&f);
    let (r, x) = load_detailed(&f);
    assert_eq!(r.format, RunFormat::Template);
    assert_eq!(Some(r.name.as_str()), v["experiment_id"].as_str());
    assert_eq!(r.load, RunLoad::Concurrency(4));
    assert_eq!((r.requests, r.isl, r.osl), (100, 2048, 256));
    let c = &r.config;
    assert_eq!(c.profile.as_deref(), Some("qwen3-32b/h200/trtllm-aic"));
    assert_eq!(c.mode.as_deref(), Some("disagg"));
    assert_eq!(
        (c.prefill_tp, c.prefill_workers, c.decode_tp, c.decode_workers),
        (Some(1), Some(1), Some(2), Some(1))
    );
    assert_eq!(c.max_num_seqs, Some(8));
    assert_eq!(c.model, v["config"]["model"].as_str().map(String::from));
    assert_eq!((c.num_gpus(), x.num_gpus), (Some(3), Some(3)));
    let sla = r.sla.unwrap_or_else(|| panic!("no sla"));
    assert_eq!((sla.ttft_ms, sla.itl_ms), (500.0, 50.0));
    let m = &v["metrics"];
    let f64_at = |a: &str, b: &str| m[a][b].as_f64().unwrap_or(f64::NAN);
    assert_eq!(r.metrics.ttft_p50_ms, Some(f64_at("ttft_ms", "p50")));
    assert_eq!(r.metrics.ttft_p99_ms, Some(f64_at("ttft_ms", "p99")));
    assert_eq!(r.metrics.ttft_mean_ms, Some(f64_at("ttft_ms", "mean")));
    assert_eq!(r.metrics.tpot_p50_ms, Some(f64_at("tpot_ms", "p50")));
    assert_eq!(r.metrics.tpot_p99_ms, Some(f64_at("tpot_ms", "p99")));
    assert_relative_eq!(
        r.metrics.e2e_p50_ms.unwrap_or(0.0),
        f64_at("e2e_latency_s", "p50") * 1000.0
    );
    assert_relative_eq!(
        r.metrics.e2e_p99_ms.unwrap_or(0.0),
        f64_at("e2e_latency_s", "p99") * 1000.0
    );
    assert_eq!(r.metrics.throughput_token_s, m["throughput_token_s"].as_f64());
    assert_eq!(r.metrics.request_throughput, m["request_throughput"].as_f64());
    assert_eq!(r.metrics.goodput_req_s, m["goodput_req_s"].as_f64());
    assert_relative_eq!(
        r.metrics.e2e_p90_ms.unwrap_or(0.0),
        f64_at("e2e_latency_s", "p90") * 1000.0
    );

    // The AIPerf export of the same run reads back with the same metrics.
    let a = load(&g);
    assert_eq!(a.format, RunFormat::Aiperf);
    assert_eq!(a.name, "aiperf");
    assert_eq!(
        (a.load.clone(), a.requests, a.isl, a.osl),
        (RunLoad::Concurrency(4), 100, 2048, 256)
    );
    assert_eq!(a.sla, r.sla);
    for (p, q) in [
        (a.metrics.ttft_p50_ms, r.metrics.ttft_p50_ms),
        (a.metrics.ttft_p99_ms, r.metrics.ttft_p99_ms),
        (a.metrics.tpot_p50_ms, r.metrics.tpot_p50_ms),
        (a.metrics.e2e_p50_ms, r.metrics.e2e_p50_ms),
        (a.metrics.e2e_p99_ms, r.metrics.e2e_p99_ms),
        (a.metrics.throughput_token_s, r.metrics.throughput_token_s),
    ] {
        assert_relative_eq!(p.unwrap_or(0.0), q.unwrap_or(1.0), max_relative = 1e-9);
    }
}

#[test]
fn simulated_sweeps_agg_runs_and_single_token_outputs_read_back() {
    // A sweep is an array: load_all reads every run, load wants exactly one.
    let (_d, f, _) = simulate(&["--rps", "1,2", "--requests", "30"], false);
    let runs = HwRun::load_all(&f).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].load, RunLoad::Poisson { rps: 1.0 });
    assert_eq!(runs[1].load, RunLoad::Poisson { rps: 2.0 });
    assert!(runs.iter().all(|r| r.requests == 30 && r.format == RunFormat::Template));
    let e = HwRun::load(&f).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("`(layout)`") && e.contains("holds 2 runs"), "{e}");

    // Agg: tp and replicas, no prefill/decode split; a length distribution gives its mean.
    let (_d, f, _) = simulate(
        &[
            "--profile",
            "llama-3.1-8b-fp8/h200/vllm",
            "--replicas",
            "2",
            "--concurrency",
            "8",
            "--requests",
            "40",
            "--isl",
            "uniform:100:300",
            "--osl",
            "64",
        ],
        false,
    );
    let r = load(&f);
    assert_eq!(r.config.mode.as_deref(), Some("agg"));
    assert_eq!(
        (r.config.tp, r.config.replicas, r.config.prefill_tp),
        (Some(1), Some(2), None)
    );
    assert_eq!(
        (r.load.clone(), r.requests, r.isl, r.osl),
        (RunLoad::Concurrency(8), 40, 200, 64)
    );
    assert_eq!(r.config.num_gpus(), Some(2));

    // OSL 1: no ITL statistics (count 0) → TPOT not reported, the run still reads.
    let (_d, f, _) = simulate(&["--concurrency", "2", "--requests", "10", "--osl", "1"], false);
    let r = load(&f);
    assert_eq!(r.osl, 1);
    assert_eq!((r.metrics.tpot_p50_ms, r.metrics.tpot_p99_ms), (None, None));
    assert!(r.metrics.ttft_p50_ms.is_some());
}

#[test]
fn vllm_bench_fixture_reads_load_lengths_and_metrics() {
    let p = fixture("vllm_bench_llama8b.json");
    let (r, _) = load_detailed(&p);
    assert_eq!(r.format, RunFormat::VllmBench);
    assert_eq!(r.name, "vllm_bench_llama8b");
    assert_eq!(r.load, RunLoad::Poisson { rps: 8.0 });
    assert_eq!(r.requests, 500);
    assert_eq!(r.isl, 1024);
    assert_eq!(r.osl, 128, "63872 / 500 = 127.7 rounds to 128");
    assert_eq!(r.config.model.as_deref(), Some("nvidia/Llama-3.1-8B-Instruct-FP8"));
    assert_eq!(r.sla, None);
    let m = &r.metrics;
    assert_eq!(m.ttft_p50_ms, Some(33.86814950057305));
    assert_eq!(m.ttft_p99_ms, Some(92.42608769936488));
    assert_eq!(m.ttft_mean_ms, Some(38.21573049202561));
    assert_eq!(m.tpot_p50_ms, Some(7.318904031496069));
    assert_eq!(m.tpot_p99_ms, Some(9.349186692913466));
    assert_eq!(m.tpot_mean_ms, Some(7.408125336472201));
    assert_eq!(m.e2e_p50_ms, Some(968.5123129996646));
    assert_eq!(m.e2e_p99_ms, Some(1221.5813920009532));
    assert_eq!(m.throughput_token_s, Some(1007.256138944115));
    assert_eq!(m.request_throughput, Some(7.88495850250591));
    assert_eq!(m.goodput_req_s, None, "request_goodput: null → not reported");
    assert_eq!(m.ttft_p90_ms, Some(52.94072159938514));
    assert_eq!(m.e2e_p90_ms, Some(1079.8843569995096));
    assert_eq!(m.e2e_mean_ms, Some(979.3155032819813));

    let base = read_value(&p);
    let read = |v: &Value| HwRun::from_bytes("v.json", &bytes(v)).unwrap_or_else(|e| panic!("{e}"));
    // request_rate "inf" + max_concurrency = closed loop; without a cap = burst.
    let mut v = base.clone();
    edit(&mut v, "request_rate", Some(json!("inf")));
    edit(&mut v, "max_concurrency", Some(json!(16)));
    assert_eq!(read(&v).load, RunLoad::Concurrency(16));
    edit(&mut v, "max_concurrency", Some(Value::Null));
    assert_eq!(read(&v).load, RunLoad::Burst);
    // Python's bare Infinity for the rate is read too.
    let text = String::from_utf8(bytes(&v))
        .unwrap_or_default()
        .replace("\"inf\"", "Infinity");
    let r = HwRun::from_bytes("v.json", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.load, RunLoad::Burst);
    // No TPOT keys: ITL stands in; a goodput (either spelling) is read; no `completed` → num_prompts.
    let mut v = base.clone();
    for k in [
        "mean_tpot_ms",
        "median_tpot_ms",
        "p99_tpot_ms",
        "p90_tpot_ms",
        "std_tpot_ms",
    ] {
        edit(&mut v, k, None);
    }
    edit(&mut v, "request_goodput:", Some(json!(6.5)));
    edit(&mut v, "completed", None);
    let r = read(&v);
    assert_eq!(r.metrics.tpot_p50_ms, Some(6.951274999975483));
    assert_eq!(r.metrics.goodput_req_s, Some(6.5));
    assert_eq!(r.requests, 500);
}

/// A template run to break.
fn template() -> Value {
    read_value(&fixture("template_hw_llama8b.json"))
}

fn aiperf() -> Value {
    read_value(&shipped_run("medium"))
}

fn vllm() -> Value {
    read_value(&fixture("vllm_bench_llama8b.json"))
}

/// Applies edits to a copy of `base` and checks the error.
#[track_caller]
fn bad_edit(base: &Value, file: &str, edits: &[(&str, Option<Value>)], key: &str, needle: &str) {
    let mut v = base.clone();
    for (p, x) in edits {
        edit(&mut v, p, x.clone());
    }
    assert_bad(file, &bytes(&v), key, needle);
}

#[test]
fn bad_files_are_typed_errors_naming_file_and_key() {
    assert_bad("a.json", b"{\"experiment_id\": ", "(json)", "not valid JSON");
    assert_bad("a.json", b"", "(json)", "not valid JSON");
    assert_bad(
        "a.json",
        br#"{"foo": 1}"#,
        "(layout)",
        "is not a hardware run: expected the slasim/SPEC template",
    );
    assert_bad("a.json", b"[1, 2]", "(layout)", "holds 2 runs");
    assert_bad("a.json", b"42", "(layout)", "is not a hardware run");
    // An unreadable file is an I/O error naming the path.
    let missing = util::repo().join("tests/fixtures/runs/no-such-run.json");
    let e = HwRun::load(&missing).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("no-such-run.json") && e.contains("cannot read"), "{e}");
    assert!(HwRun::load_all(&missing).is_err());
    assert_bad("a.json", b"[]", "(layout)", "holds 0 runs");
    assert!(HwRun::from_bytes_all("a.json", b"[]").is_err());
}

#[test]
fn missing_metric_blocks_are_errors() {
    let t = template();
    bad_edit(
        &t,
        "t.json",
        &[("metrics.ttft_ms", None), ("metrics.tpot_ms", None)],
        "metrics",
        "no TTFT or TPOT",
    );
    bad_edit(&t, "t.json", &[("workload", None)], "workload", "missing");
    let a = aiperf();
    bad_edit(
        &a,
        "a.json",
        &[("time_to_first_token", None), ("inter_token_latency", None)],
        "time_to_first_token",
        "no TTFT or TPOT",
    );
    bad_edit(&a, "a.json", &[("input_config", None)], "input_config", "missing");
    // A vLLM result without any TTFT / TPOT / ITL key.
    let v = vllm();
    let mut w = v.clone();
    for m in ["ttft", "tpot", "itl"] {
        for st in ["mean", "median", "std", "p90", "p99"] {
            edit(&mut w, &format!("{st}_{m}_ms"), None);
        }
    }
    assert_bad("v.json", &bytes(&w), "median_ttft_ms", "no TTFT or TPOT");
    // Nothing left that says vLLM: an unknown layout.
    edit(&mut w, "output_throughput", None);
    assert_bad("v.json", &bytes(&w), "(layout)", "is not a hardware run");
    bad_edit(
        &v,
        "v.json",
        &[("total_output_tokens", None)],
        "total_output_tokens",
        "missing",
    );
}

#[test]
fn zero_negative_and_non_finite_values_are_errors() {
    let t = template();
    bad_edit(
        &t,
        "t.json",
        &[("metrics.ttft_ms.p50", Some(json!(0)))],
        "metrics.ttft_ms.p50",
        "> 0",
    );
    bad_edit(
        &t,
        "t.json",
        &[("metrics.tpot_ms.p99", Some(json!(-1.5)))],
        "metrics.tpot_ms.p99",
        "> 0",
    );
    bad_edit(
        &t,
        "t.json",
        &[("metrics.e2e_latency_s.p50", Some(json!("inf")))],
        "metrics.e2e_latency_s.p50",
        "finite",
    );
    bad_edit(
        &t,
        "t.json",
        &[("metrics.throughput_token_s", Some(json!(0.0)))],
        "metrics.throughput_token_s",
        "> 0",
    );
    bad_edit(
        &t,
        "t.json",
        &[("metrics.goodput_req_s", Some(json!(-0.1)))],
        "metrics.goodput_req_s",
        "≥ 0",
    );
    bad_edit(
        &t,
        "t.json",
        &[("metrics.ttft_ms.mean", Some(json!("fast")))],
        "metrics.ttft_ms.mean",
        "expected a number",
    );
    bad_edit(
        &t,
        "t.json",
        &[("config.tp", Some(json!("two")))],
        "config.tp",
        "expected a number",
    );
    bad_edit(
        &t,
        "t.json",
        &[("config.tp", Some(json!(0)))],
        "config.tp",
        "at least 1",
    );
    bad_edit(
        &t,
        "t.json",
        &[("config.mode", Some(json!("pipeline")))],
        "config.mode",
        "agg or disagg",
    );
    let a = aiperf();
    bad_edit(
        &a,
        "a.json",
        &[("inter_token_latency.p99", Some(json!(-1)))],
        "inter_token_latency.p99",
        "> 0",
    );
    bad_edit(
        &a,
        "a.json",
        &[("output_token_throughput.avg", Some(json!(0)))],
        "output_token_throughput.avg",
        "> 0",
    );
    bad_edit(
        &a,
        "a.json",
        &[("time_to_first_token.unit", Some(json!("furlongs")))],
        "time_to_first_token.unit",
        "time unit",
    );
    // Python's bare NaN / Infinity (json.dump's default) name their key.
    let text = String::from_utf8(bytes(&a)).unwrap_or_default();
    let nan = text.replacen("\"p50\": 2066.233917", "\"p50\": NaN", 1);
    assert_ne!(nan, text, "the edit applied");
    assert_bad("a.json", nan.as_bytes(), "time_to_first_token.p50", "finite");
    let inf = text.replacen("\"avg\": 183.79035001031562", "\"avg\": Infinity", 1);
    assert_ne!(inf, text, "the edit applied");
    assert_bad("a.json", inf.as_bytes(), "output_token_throughput.avg", "finite");
    let v = vllm();
    let text = String::from_utf8(bytes(&v)).unwrap_or_default();
    let nan = text.replacen("\"p99_ttft_ms\": 92.42608769936488", "\"p99_ttft_ms\": NaN", 1);
    assert_ne!(nan, text, "the edit applied");
    assert_bad("v.json", nan.as_bytes(), "p99_ttft_ms", "finite");
    bad_edit(
        &v,
        "v.json",
        &[("median_tpot_ms", Some(json!(0)))],
        "median_tpot_ms",
        "> 0",
    );
}

#[test]
fn zero_requests_and_short_outputs_are_errors() {
    let t = template();
    bad_edit(
        &t,
        "t.json",
        &[("workload.requests", Some(json!(0)))],
        "workload.requests",
        "at least 1",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.requests", Some(json!(2.5)))],
        "workload.requests",
        "whole number",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.requests", None)],
        "workload.requests",
        "missing",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.osl", Some(json!(0)))],
        "workload.osl",
        "at least 1 token",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.osl", Some(json!(0.4)))],
        "workload.osl",
        "at least 1 token",
    );
    bad_edit(&t, "t.json", &[("workload.isl", None)], "workload.isl", "missing");
    bad_edit(
        &t,
        "t.json",
        &[("workload.isl", Some(json!("uniform:9:2")))],
        "workload.isl",
        "",
    );
    let a = aiperf();
    bad_edit(
        &a,
        "a.json",
        &[("input_config.loadgen.request_count", Some(json!(0)))],
        "input_config.loadgen.request_count",
        "at least 1",
    );
    bad_edit(
        &a,
        "a.json",
        &[("input_config.input.prompt.output_tokens.mean", Some(json!(0.4)))],
        "input_config.input.prompt.output_tokens.mean",
        "at least 1 token",
    );
    let v = vllm();
    bad_edit(
        &v,
        "v.json",
        &[("completed", Some(json!(0)))],
        "completed",
        "at least 1",
    );
    bad_edit(
        &v,
        "v.json",
        &[("total_output_tokens", Some(json!(0)))],
        "total_output_tokens",
        "at least 1 token",
    );
}

#[test]
fn loads_that_cannot_be_simulated_are_errors() {
    let t = template();
    bad_edit(
        &t,
        "t.json",
        &[("workload.type", Some(json!("trace")))],
        "workload.type",
        "without a `trace` file",
    );
    bad_edit(
        &t,
        "t.json",
        &[
            ("workload.type", Some(json!("trace"))),
            ("workload.trace", Some(json!("conv.csv"))),
        ],
        "workload.type",
        "trace replay",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.type", Some(json!("gamma")))],
        "workload.type",
        "cannot be reproduced",
    );
    bad_edit(
        &t,
        "t.json",
        &[
            ("workload.type", Some(json!("concurrency"))),
            ("workload.concurrency", Some(json!(0))),
        ],
        "workload.concurrency",
        "at least 1",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.type", Some(json!("concurrency")))],
        "workload.concurrency",
        "missing",
    );
    bad_edit(&t, "t.json", &[("workload.rps", Some(json!(0)))], "workload.rps", "> 0");
    bad_edit(
        &t,
        "t.json",
        &[("workload.rps", Some(json!(-3)))],
        "workload.rps",
        "> 0",
    );
    bad_edit(
        &t,
        "t.json",
        &[("workload.type", None), ("workload.rps", None)],
        "workload.type",
        "missing",
    );
    let a = aiperf();
    bad_edit(
        &a,
        "a.json",
        &[("input_config.loadgen.concurrency", Some(json!(0)))],
        "input_config.loadgen.concurrency",
        "at least 1",
    );
    bad_edit(
        &a,
        "a.json",
        &[
            ("input_config.loadgen.concurrency", None),
            ("input_config.loadgen.request_rate", Some(json!(-2))),
        ],
        "input_config.loadgen.request_rate",
        "> 0",
    );
    bad_edit(
        &a,
        "a.json",
        &[("input_config.loadgen.request_rate", Some(json!(5)))],
        "input_config.loadgen.request_rate",
        "both",
    );
    bad_edit(
        &a,
        "a.json",
        &[("input_config.loadgen.concurrency", None)],
        "input_config.loadgen",
        "neither",
    );
    bad_edit(
        &a,
        "a.json",
        &[("input_config.loadgen", None)],
        "input_config.loadgen",
        "missing",
    );
    bad_edit(
        &a,
        "a.json",
        &[
            ("input_config.loadgen.concurrency", None),
            ("input_config.loadgen.request_rate", Some(json!(3))),
            ("input_config.loadgen.request_rate_mode", Some(json!("constant"))),
        ],
        "input_config.loadgen.request_rate_mode",
        "cannot be reproduced",
    );
    let v = vllm();
    bad_edit(&v, "v.json", &[("request_rate", Some(json!(0)))], "request_rate", "> 0");
    bad_edit(
        &v,
        "v.json",
        &[("request_rate", Some(json!("fast")))],
        "request_rate",
        "\"inf\"",
    );
    bad_edit(
        &v,
        "v.json",
        &[("max_concurrency", Some(json!(8)))],
        "max_concurrency",
        "rate-limited",
    );
    bad_edit(
        &v,
        "v.json",
        &[
            ("request_rate", Some(json!("inf"))),
            ("max_concurrency", Some(json!(0))),
        ],
        "max_concurrency",
        "at least 1",
    );
    bad_edit(&v, "v.json", &[("burstiness", Some(json!(0.5)))], "burstiness", "gamma");
}
