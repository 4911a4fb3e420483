//! `slasim plan`: planner arithmetic (slasim and Dynamo-planner interpolation), the simulation
//! check, the DynamoGraphDeployment YAML, and bad input.

use crate::util::{bad_input, ok};
use serde_json::Value;

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn qwen_sinusoid_peak_plan_meets_sla_and_yaml_parses_back() {
    let dir = tempfile::tempdir().unwrap();
    let (y, j) = (dir.path().join("dgd.yaml"), dir.path().join("plan.json"));
    let out = ok(&[
        "plan",
        "--profile",
        "qwen3-32b/h200/trtllm-aic",
        "--sinusoid",
        "5:45:1800",
        "--isl",
        "2048",
        "--osl",
        "256",
        "--yaml",
        y.to_str().unwrap(),
        "--json",
        j.to_str().unwrap(),
    ]);
    assert!(out.contains("simulation check"), "{out}");
    let v = read_json(&j);
    assert_eq!(v["target_rps"], 45.0);
    let fin = &v["final"];
    assert_eq!(fin["meets_sla"], true, "{v:#}");
    let (pw, dw) = (
        fin["prefill"]["workers"].as_u64().unwrap(),
        fin["decode"]["workers"].as_u64().unwrap(),
    );
    let checks = v["checks"].as_array().unwrap();
    let last = checks.last().unwrap();
    assert!(last["sla_hit_rate"].as_f64().unwrap() >= 0.9);
    assert!(last["ttft_ms"]["p90"].as_f64().unwrap() <= 500.0);
    assert!(last["itl_ms"]["p90"].as_f64().unwrap() <= 50.0);
    assert_eq!(fin["adjusted"], checks.len() > 1);
    assert!(pw >= v["arithmetic"]["prefill"]["replicas"].as_u64().unwrap());
    assert!(dw >= v["arithmetic"]["decode"]["replicas"].as_u64().unwrap());
    if checks.len() > 1 {
        assert!(out.contains("adjusted up to"), "{out}");
    }

    // an independent `simulate` of the final plan at the peak rate meets the SLA too
    let sj = dir.path().join("sim.json");
    ok(&[
        "simulate",
        "--profile",
        "qwen3-32b/h200/trtllm-aic",
        "--prefill-workers",
        &pw.to_string(),
        "--decode-workers",
        &dw.to_string(),
        "--rps",
        "45",
        "--requests",
        "2700",
        "--isl",
        "2048",
        "--osl",
        "256",
        "--json",
        sj.to_str().unwrap(),
    ]);
    let s = read_json(&sj);
    assert!(s["metrics"]["sla_hit_rate"].as_f64().unwrap() >= 0.9, "{s:#}");

    // the YAML parses back: ConfigMap + DGD with the planned replicas and TPs
    let text = std::fs::read_to_string(&y).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["kind"], "ConfigMap");
    assert_eq!(docs[0]["metadata"]["name"], "planner-profile-data");
    let pre: Value = serde_json::from_str(docs[0]["data"]["prefill_raw_data.json"].as_str().unwrap()).unwrap();
    let dec: Value = serde_json::from_str(docs[0]["data"]["decode_raw_data.json"].as_str().unwrap()).unwrap();
    assert_eq!(pre["prefill_isl"].as_array().unwrap().len(), 17);
    assert_eq!(dec["max_kv_tokens"], 502272);
    for k in ["x_kv_usage", "y_context_length", "z_itl", "z_thpt_per_gpu"] {
        assert_eq!(dec[k].as_array().unwrap().len(), 36, "{k}");
    }
    let dgd = &docs[1];
    assert_eq!(dgd["apiVersion"], "nvidia.com/v1alpha1");
    assert_eq!(dgd["kind"], "DynamoGraphDeployment");
    let svc = &dgd["spec"]["services"];
    assert!(svc.get("Frontend").is_some());
    for (name, replicas, tp) in [("TRTLLMPrefillWorker", pw, 1), ("TRTLLMDecodeWorker", dw, 2)] {
        let w = &svc[name];
        assert_eq!(w["replicas"].as_u64(), Some(replicas), "{name}");
        assert_eq!(w["resources"]["limits"]["gpu"], tp.to_string(), "{name}");
        let args: Vec<&str> = w["extraPodSpec"]["mainContainer"]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let i = args.iter().position(|a| *a == "--tensor-parallel-size").unwrap();
        assert_eq!(args[i + 1], tp.to_string());
    }
}

fn planner_numbers(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("plan.json");
    let mut a = vec![
        "plan",
        "--interp",
        "planner",
        "--no-check",
        "--json",
        j.to_str().unwrap(),
    ];
    a.extend_from_slice(args);
    ok(&a);
    read_json(&j)
}

#[test]
fn planner_view_llama_8b_matches_expected_numbers() {
    // ISL/OSL 3000/150 at 45 req/s with the Dynamo profiler's example SLA (TTFT 200 ms, ITL 20 ms)
    let v = planner_numbers(&[
        "--profile",
        "llama-3.1-8b-fp8/h200/vllm",
        "--isl",
        "3000",
        "--osl",
        "150",
        "--rps",
        "45",
        "--ttft",
        "200",
        "--itl",
        "20",
    ]);
    let ar = &v["arithmetic"];
    let ttft = ar["prefill"]["ttft_ms"].as_f64().unwrap();
    assert!((ttft - 60.5).abs() / 60.5 < 0.005, "TTFT(3000) = {ttft}");
    assert_eq!(ar["prefill"]["replicas"], 3);
    assert_eq!(ar["decode"]["replicas"], 2);
    assert!(ar["decode"]["grid"].as_str().unwrap().starts_with("Clough-Tocher"));
    // looser ITL: the grid's best throughput covers the load with one decode engine
    let v = planner_numbers(&[
        "--profile",
        "llama-3.1-8b-fp8/h200/vllm",
        "--isl",
        "3000",
        "--osl",
        "150",
        "--rps",
        "45",
        "--itl",
        "50",
    ]);
    assert_eq!(v["arithmetic"]["decode"]["replicas"], 1);
}

#[test]
fn planner_view_qwen_aic_ttft() {
    let v = planner_numbers(&["--rps", "45"]);
    let ttft = v["arithmetic"]["prefill"]["ttft_ms"].as_f64().unwrap();
    assert!((ttft - 193.0).abs() / 193.0 < 0.005, "TTFT(2048) = {ttft}");
    // slasim's own view of the same point (the profile's prefill curve: marginal work linear
    // between the measured ISLs 100 and 2621, attention quadratic) differs
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("p.json");
    ok(&["plan", "--rps", "45", "--no-check", "--json", j.to_str().unwrap()]);
    let s = read_json(&j)["arithmetic"]["prefill"]["ttft_ms"].as_f64().unwrap();
    let p = slasim::profile::resolve("qwen3-32b/h200/trtllm-aic").unwrap();
    let curve = p
        .prefill_engine(Some(1), "--prefill-tp")
        .unwrap()
        .prefill
        .clone()
        .unwrap();
    assert!((s - curve.ttft_ms(2048.0)).abs() < 1e-9 * s, "{s}");
    assert!((s - ttft).abs() > 1.0, "slasim {s} vs planner {ttft}");
    // within the straight line through the two measured points and the measured ends
    assert!(s > 19.855 && s < 249.305, "{s}");
}

#[test]
fn plan_bad_inputs_exit_2() {
    for (args, needle) in [
        (vec!["plan"], "--rps"),
        (vec!["plan", "--rps", "0"], "--rps"),
        (vec!["plan", "--rps", "nan"], "--rps"),
        (vec!["plan", "--rps", "10", "--sinusoid", "5:45:1800"], "--rps"),
        (vec!["plan", "--sinusoid", "5:45"], "--sinusoid"),
        (vec!["plan", "--rps", "10", "--isl", "0"], "--isl"),
        (vec!["plan", "--rps", "10", "--osl", "-3"], "--osl"),
        (vec!["plan", "--rps", "10", "--ttft=-1"], "--ttft"),
        (vec!["plan", "--rps", "10", "--min-hit-rate", "1.5"], "--min-hit-rate"),
        (vec!["plan", "--rps", "10", "--requests", "0"], "--requests"),
        (vec!["plan", "--rps", "10", "--profile", "no/such/profile"], "--profile"),
        (vec!["plan", "--rps", "10", "--decode-tp", "3"], "--decode-tp"),
        (
            vec!["plan", "--rps", "10", "--profile", "llama-3.3-70b-fp8/h100/vllm"],
            "TP",
        ),
        (
            vec!["plan", "--rps", "10", "--calibration", "/no/such/file.json"],
            "file.json",
        ),
    ] {
        let err = bad_input(&args);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
