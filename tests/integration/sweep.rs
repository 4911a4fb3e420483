//! `slasim sweep` and `slasim merge`: ranking on the measured Llama-3.3-70B H100 profiles, the
//! SPEC §7 JSON shape, sharded runs merged byte for byte, resume, bad space files.

use crate::util::{bad_input, ok, run};
use serde_json::Value;
use std::path::Path;

const LLAMA: [&str; 8] = [
    "--model",
    "nvidia/Llama-3.3-70B-Instruct-FP8",
    "--gpu",
    "h100_sxm",
    "--backend",
    "vllm",
    "--isl",
    "2048",
];
const LOAD: [&str; 8] = ["--osl", "256", "--ttft", "500", "--itl", "50", "--concurrency", "1,2"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["sweep"];
    v.extend_from_slice(&LLAMA);
    v.extend_from_slice(&LOAD);
    v.extend_from_slice(extra);
    v
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).expect("read json")).expect("valid json")
}

#[test]
fn llama70b_tps_ranked_by_goodput_per_gpu_with_reason() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sweep.json");
    let png = dir.path().join("front.png");
    let js = json.to_str().unwrap();
    let out = ok(&args(&["--json", js, "--plot", png.to_str().unwrap()]));
    let v = read_json(&json);
    let configs = v["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 3, "TP2/4/8 (the measured ones by default)");
    let mut tps: Vec<u64> = configs.iter().map(|c| c["prefill"]["tp"].as_u64().unwrap()).collect();
    tps.sort_unstable();
    assert_eq!(tps, [2, 4, 8]);
    // SPEC §7 keys on every config
    for c in configs {
        for k in [
            "id",
            "mode",
            "prefill",
            "decode",
            "num_gpus",
            "profile_origin",
            "goodput_per_gpu",
            "max_rps_meeting_sla",
            "sla_met",
            "pareto",
            "rank",
        ] {
            assert!(c.get(k).is_some(), "config lacks `{k}`: {c}");
        }
        for role in ["prefill", "decode"] {
            assert!(c[role]["tp"].is_u64() && c[role]["workers"].is_u64(), "{c}");
        }
        assert_eq!(c["profile_origin"], "measured-online", "shipped measured profile: {c}");
        assert_eq!(c["mode"], "agg");
        assert!(c["goodput_per_gpu"].as_f64().unwrap() > 0.0, "{c}");
        assert!(c["max_rps_meeting_sla"].as_f64().unwrap() > 0.0, "{c}");
    }
    // ranks 1..3 in order of goodput/GPU (all meet the SLA at this light target load)
    let ranks: Vec<u64> = configs.iter().map(|c| c["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, [1, 2, 3]);
    assert!(configs.iter().all(|c| c["sla_met"] == true), "{v}");
    let g: Vec<f64> = configs.iter().map(|c| c["goodput_per_gpu"].as_f64().unwrap()).collect();
    assert!(g[0] >= g[1] && g[1] >= g[2], "ranked by goodput/GPU: {g:?}");
    assert_eq!(v["best"], configs[0]["id"]);
    // the rank-1 configuration has the highest tokens/s/GPU, so it is on the front
    assert_eq!(configs[0]["pareto"], true);
    // the output says why the winner wins
    let best = configs[0]["id"].as_str().unwrap();
    assert!(out.contains(&format!("{best} wins")), "{out}");
    assert!(out.contains("output tokens/s/GPU at the SLA"), "{out}");
    assert!(v["why"].as_str().unwrap().contains("tokens/s/GPU at the SLA"));
    // the plot is a real PNG
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000);
    eprintln!("{out}");
}

#[test]
fn sharded_runs_merge_to_the_unsharded_bytes_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let space = [
        "--mode",
        "agg,disagg",
        "--tp",
        "2,4",
        "--max-num-seqs",
        "64,256",
        "--gpu-budget",
        "8",
    ];
    let (whole, whole_csv) = (p("whole.json"), p("whole.csv"));
    let mut a = args(&space);
    a.extend_from_slice(&["--json", &whole, "--csv", &whole_csv]);
    ok(&a);
    let mut shards = Vec::new();
    for i in 0..4 {
        let f = p(&format!("shard-{i}.json"));
        let sh = format!("{i}/4");
        let mut a = args(&space);
        a.extend_from_slice(&["--shard", &sh, "--json", &f]);
        ok(&a);
        shards.push(f);
    }
    // shards given in any order
    let (merged, merged_csv) = (p("merged.json"), p("merged.csv"));
    let mut m = vec!["merge", &shards[2], &shards[0], &shards[3], &shards[1]];
    m.extend_from_slice(&["--json", &merged, "--csv", &merged_csv]);
    ok(&m);
    let wb = std::fs::read(&whole).unwrap();
    assert!(
        wb == std::fs::read(&merged).unwrap(),
        "merged JSON differs from the unsharded run"
    );
    assert!(std::fs::read(&whole_csv).unwrap() == std::fs::read(&merged_csv).unwrap());
    let v = read_json(Path::new(&whole));
    assert_eq!(v["configs"].as_array().unwrap().len(), 12);
    // agg configs use measured data; disagg ones too (prefill/decode from the agg engines)
    assert!(v["configs"].as_array().unwrap().iter().any(|c| c["mode"] == "disagg"));

    // resume: a complete shard is reused as is
    let before = std::fs::read(&shards[1]).unwrap();
    let mut a = args(&space);
    a.extend_from_slice(&["--shard", "1/4", "--json", &shards[1], "--resume"]);
    let o = run(&a);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("evaluated 0 configuration(s)"), "{err}");
    assert_eq!(before, std::fs::read(&shards[1]).unwrap());

    // resume after an interruption: a checkpoint holding only some results is completed
    let mut part: Value = serde_json::from_slice(&before).unwrap();
    part["complete"] = Value::Bool(false);
    part["results"].as_array_mut().unwrap().truncate(1);
    std::fs::write(&shards[1], serde_json::to_vec_pretty(&part).unwrap()).unwrap();
    let mut a = args(&space);
    a.extend_from_slice(&["--shard", "1/4", "--json", &shards[1], "--resume"]);
    let o = run(&a);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("resuming: 1 of 3"), "{err}");
    assert!(err.contains("evaluated 2 configuration(s)"), "{err}");
    assert_eq!(before, std::fs::read(&shards[1]).unwrap());
    // merging an incomplete shard is refused
    std::fs::write(&shards[1], serde_json::to_vec_pretty(&part).unwrap()).unwrap();
    let e = bad_input(&["merge", &shards[0], &shards[1], &shards[2], &shards[3]]);
    assert!(e.contains("not finished"), "{e}");
    std::fs::write(&shards[1], &before).unwrap();

    // resume against a different sweep is refused
    let mut a = args(&space);
    a.extend_from_slice(&[
        "--shard",
        "1/4",
        "--json",
        &shards[1],
        "--resume",
        "--sla-quantile",
        "0.8",
    ]);
    let e = bad_input(&a);
    assert!(e.contains("different sweep"), "{e}");

    // merge with a shard missing is an error naming it
    let e = bad_input(&["merge", &shards[0], &shards[1], &shards[3], "--json", &p("x.json")]);
    assert!(e.contains("shard 2/4 is missing"), "{e}");
    // a final report is not a shard
    let e = bad_input(&["merge", &whole]);
    assert!(e.contains("format"), "{e}");
}

#[test]
fn bad_space_files_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown.toml",
            "model = \"Qwen/Qwen3-32B\"\ngpu = \"h200_sxm\"\ntps = [1, 2]\n",
            "tps",
        ),
        (
            "empty.toml",
            "model = \"Qwen/Qwen3-32B\"\ngpu = \"h200_sxm\"\ntp = []\n",
            "empty",
        ),
        (
            "budget.toml",
            "model = \"nvidia/Llama-3.3-70B-Instruct-FP8\"\ngpu = \"h100_sxm\"\ntp = [2, 4]\ngpu_budget = 1\n",
            "smaller than the smallest configuration",
        ),
        ("type.toml", "tp = \"two\"\n", "tp"),
        ("mode.toml", "mode = [\"both\"]\n", "both"),
    ];
    for (name, text, needle) in cases {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        let e = bad_input(&["sweep", "--space", f.to_str().unwrap()]);
        assert!(e.contains(name), "error names the file: {e}");
        assert!(e.contains(needle), "{name}: {e}");
    }
    // flag-level problems too
    let e = bad_input(&[
        "sweep",
        "--model",
        "nvidia/Llama-3.3-70B-Instruct-FP8",
        "--tp",
        "2",
        "--gpu-budget",
        "1",
    ]);
    assert!(e.contains("gpu_budget"), "{e}");
    let e = bad_input(&[
        "sweep",
        "--profile",
        "llama-3.3-70b-fp8/h100/vllm",
        "--shard",
        "4/4",
        "--json",
        "x.json",
    ]);
    assert!(e.contains("--shard"), "{e}");
    let e = bad_input(&[
        "sweep",
        "--profile",
        "llama-3.3-70b-fp8/h100/vllm",
        "--sla-quantile",
        "0",
    ]);
    assert!(e.contains("--sla-quantile"), "{e}");
}

#[test]
fn shipped_example_space_parses() {
    // The example spaces are valid (checked by loading them through a tiny sweep).
    let repo = crate::util::repo();
    for f in [
        "calibration/spaces/llama-3.3-70b-h100.toml",
        "calibration/spaces/qwen3-32b-h200-1000.toml",
    ] {
        let p = repo.join(f);
        let text = std::fs::read_to_string(&p).unwrap();
        let v: toml::Value = toml::from_str(&text).unwrap();
        assert!(v.get("model").is_some(), "{f}");
    }
    let p = repo.join("calibration/spaces/llama-3.3-70b-h100.toml");
    let out = ok(&[
        "sweep",
        "--space",
        p.to_str().unwrap(),
        "--mode",
        "agg",
        "--tp",
        "8",
        "--replicas",
        "1",
        "--max-num-seqs",
        "256",
        "--concurrency",
        "4",
    ]);
    assert!(out.contains("agg-tp8-r1-s256-vllm"), "{out}");
}
