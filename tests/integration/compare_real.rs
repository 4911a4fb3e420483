//! `compare-methods` Mode 1 through the library (`slasim::methods::real::run`) on the real
//! Dynamo profiling-method comparison results copied into `tests/fixtures/dynamo` (AIConfigurator and online
//! profiling of Qwen/Qwen3-32B on H200, with the AIC folder's four AIPerf validation runs), the
//! `tests/fixtures/compare/` folder (config from `config_with_planner.yaml`, duration from
//! `profile_sla.log`), and bad inputs.

use crate::util;
use serde_json::Value;
use slasim::methods::real::{run, summary, RealOptions};
use slasim::Error;
use std::path::{Path, PathBuf};

const RESULTS: &str = "benchmarks/profiler/comparison/results";
const FIXTURE: &str = "tests/fixtures/compare/planner_yaml";
const CALIBRATION: &str = "calibration/qwen3-32b-h200-trtllm-aic.json";

fn results(name: &str) -> PathBuf {
    util::dynamo_data().join(RESULTS).join(name)
}

fn opts(methods: &[(&str, PathBuf)], out: &Path) -> RealOptions {
    let mut o = RealOptions::new(
        methods.iter().map(|(l, d)| (l.to_string(), d.clone())).collect(),
        out.to_path_buf(),
    );
    o.seeds = 1;
    o
}

/// The per-level table of summary.txt: rows of cells (split on runs of ≥ 2 spaces).
fn level_table(summary: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = summary.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("method") && l.contains("TTFT p50 pred ms"))
        .expect("per-level table header in summary.txt");
    let header: Vec<String> = split_cells(lines[start]);
    assert_eq!(header, summary::LEVEL_TABLE_HEADER);
    lines[start + 2..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| split_cells(l))
        .collect()
}

fn split_cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// `cell` shows `json` rounded to `decimals` (× `scale`), or `n/a` for null.
fn check_cell(cell: &str, json: &Value, decimals: i32, scale: f64, what: &str) {
    match json.as_f64() {
        None => assert_eq!(cell, summary::NA, "{what}: JSON null but summary says {cell}"),
        Some(v) => {
            let shown: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{what}: `{cell}` is not a number (JSON {v})"));
            let tol = 0.5 * 10f64.powi(-decimals) + 1e-9;
            assert!(
                (shown - v * scale).abs() <= tol,
                "{what}: summary {cell} vs JSON {}",
                v * scale
            );
        }
    }
}

#[test]
fn aic_and_online_real_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let c = run(&opts(
        &[("aic_all", results("aic_all")), ("online_all", results("online_all"))],
        &out,
    ))
    .unwrap();

    // all outputs, whole
    for f in [
        "comparison_results.json",
        "summary.txt",
        "predicted_vs_actual.png",
        "predicted_vs_actual.svg",
        "cost_vs_error.png",
        "cost_vs_error.svg",
    ] {
        let p = out.join(f);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(bytes.len() > 1000, "{f} is only {} bytes", bytes.len());
        if f.ends_with(".png") {
            assert_eq!(&bytes[1..4], b"PNG", "{f}");
        }
        if f.ends_with(".svg") {
            assert!(String::from_utf8_lossy(&bytes).contains("<svg"), "{f}");
        }
        assert!(c.outputs.iter().any(|o| o == f), "{f} not listed in outputs");
    }
    let json: Value = serde_json::from_slice(&std::fs::read(out.join("comparison_results.json")).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::to_value(&c).unwrap(),
        "the JSON is the returned comparison"
    );
    assert_eq!(json["mode"], "results");

    // levels from the AIC validation runs: concurrency 1/4/7/8, 100 requests, 2048/256
    let conc: Vec<u64> = json["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["concurrency"].as_u64().unwrap())
        .collect();
    assert_eq!(conc, [1, 4, 7, 8]);
    let names: Vec<&str> = json["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["idle", "medium", "saturation", "overload"]);
    assert_eq!(json["inputs"]["max_bs"], 8);

    let methods = json["methods"].as_array().unwrap();
    let (aic, online) = (&methods[0], &methods[1]);
    assert_eq!(aic["kind"], "static-estimate");
    assert_eq!(online["kind"], "online-profiling");
    assert_eq!(aic["config"]["source"], "profile_meta.json");
    assert_eq!(
        (
            aic["config"]["prefill_tp"].as_u64(),
            aic["config"]["decode_tp"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        (
            online["config"]["prefill_tp"].as_u64(),
            online["config"]["decode_tp"].as_u64()
        ),
        (Some(1), Some(1))
    );

    // AIC's own prediction of TTFT p50 at idle is far below the ~1.1 s measured
    let idle = &aic["levels"][0];
    let pred = idle["predicted"]["ttft_p50_ms"].as_f64().unwrap();
    let act = idle["actual"]["ttft_p50_ms"].as_f64().unwrap();
    assert!((1000.0..1300.0).contains(&act), "actual idle TTFT p50 {act}");
    assert!(pred < 0.3 * act, "predicted {pred} vs actual {act}");
    let e = idle["error_pct"]["ttft_p50_ms"].as_f64().unwrap();
    assert!(
        (e - (pred - act) / act * 100.0).abs() < 1e-9 && e < -70.0,
        "signed error {e}"
    );
    assert_eq!(idle["actual"]["sla_hit_rate"], 0.0, "no AIC idle request met the SLA");
    assert_eq!(aic["mape"]["levels_with_actuals"], 4);
    assert!(aic["mape"]["ttft_p50_pct"].as_f64().unwrap() > 70.0);

    // online_all has no actuals and says so; its tiny KV capacity is flagged
    assert_eq!(online["has_validation"], false);
    for l in online["levels"].as_array().unwrap() {
        assert!(l["actual"].is_null());
        assert!(l["error_pct"]["ttft_p50_ms"].is_null());
        assert!(l["predicted"]["ttft_p50_ms"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(online["mape"]["levels_with_actuals"], 0);
    assert!(online["mape"]["combined_pct"].is_null());
    assert_eq!(online["profile"]["max_kv_tokens"], 8224.0);
    assert!(online["profile"]["kv_warning"].as_str().unwrap().contains("8224"));
    assert!(aic["profile"]["kv_warning"].is_null());

    // cost: estimates, static is free
    assert_eq!(aic["cost"]["source"], "estimate");
    assert_eq!(aic["cost"]["gpu_hours"], 0.0);
    assert_eq!(aic["cost"]["deployments"], 0);
    assert_eq!(online["cost"]["source"], "estimate");
    assert!(online["cost"]["gpu_hours"].as_f64().unwrap() > 1.0);
    assert!(online["cost"]["duration_min"].as_f64().unwrap() > aic["cost"]["duration_min"].as_f64().unwrap());
    assert!(aic["suggested"].is_null() && online["suggested"].is_null());

    // every number of the per-level table is the JSON value, rounded
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert_eq!(text, slasim::methods::real::summary_text(&c));
    let rows = level_table(&text);
    assert_eq!(rows.len(), 8);
    for row in &rows {
        assert_eq!(row.len(), 13, "{row:?}");
        let m = methods.iter().find(|m| m["label"] == row[0].as_str()).unwrap();
        let l = m["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == row[1].as_str())
            .unwrap();
        assert_eq!(row[2], l["concurrency"].to_string());
        let what = |k: &str| format!("{} {} {k}", row[0], row[1]);
        let (p, a, e) = (&l["predicted"], &l["actual"], &l["error_pct"]);
        let act = |k: &str| if a.is_null() { Value::Null } else { a[k].clone() };
        check_cell(&row[3], &p["ttft_p50_ms"], 1, 1.0, &what("ttft pred"));
        check_cell(&row[4], &act("ttft_p50_ms"), 1, 1.0, &what("ttft act"));
        check_cell(&row[5], &e["ttft_p50_ms"], 1, 1.0, &what("ttft err"));
        check_cell(&row[6], &p["itl_p50_ms"], 1, 1.0, &what("itl pred"));
        check_cell(&row[7], &act("itl_p50_ms"), 1, 1.0, &what("itl act"));
        check_cell(&row[8], &e["itl_p50_ms"], 1, 1.0, &what("itl err"));
        check_cell(&row[9], &p["sla_hit_rate"], 1, 100.0, &what("sla pred"));
        check_cell(&row[10], &act("sla_hit_rate"), 1, 100.0, &what("sla act"));
        check_cell(&row[11], &p["goodput_per_gpu"], 3, 1.0, &what("goodput/GPU pred"));
        check_cell(&row[12], &act("goodput_per_gpu"), 3, 1.0, &what("goodput/GPU act"));
    }
    // MAPE and cost lines use the JSON values too
    let mape = aic["mape"]["ttft_p50_pct"].as_f64().unwrap();
    assert!(text.contains(&format!("aic_all: TTFT p50 MAPE {} %", summary::fixed(mape, 1))));
    assert!(text.contains("online_all: no validation runs"), "{text}");
    assert!(text.contains("accuracy of its predictions is unknown"));
    let gh = online["cost"]["gpu_hours"].as_f64().unwrap();
    assert!(text.contains(&summary::fixed(gh, 3)));
    // the recommendation is data-driven: it names both methods and the measured direction
    let rec = c.recommendation.join(" ");
    assert!(rec.contains("aic_all") && rec.contains("online_all"), "{rec}");
    assert!(rec.contains("under-predicts TTFT p50"), "{rec}");
}

#[test]
fn calibration_applies_to_every_method() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(&[("aic_all", results("aic_all"))], dir.path());
    o.plots = false;
    o.calibration = Some(slasim::sim::calibration::Calibration::load(&util::repo().join(CALIBRATION)).unwrap());
    let c = run(&o).unwrap();
    assert!(
        !dir.path().join("cost_vs_error.png").exists(),
        "plots: false writes no plot"
    );
    assert_eq!(c.outputs, ["comparison_results.json", "summary.txt"]);
    // the calibration was fitted on these very runs: TTFT p50 within 25 % at every level
    for l in &c.methods[0].levels {
        let e = l.error_pct.ttft_p50_ms.unwrap();
        assert!(e.abs() < 25.0, "{}: calibrated TTFT p50 error {e} %", l.name);
    }
    assert!(c.inputs.calibration.is_some());
}

#[test]
fn planner_yaml_and_log_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(&[("online_yaml", util::repo().join(FIXTURE))], dir.path());
    o.plots = false;
    let c = run(&o).unwrap();
    let m = &c.methods[0];
    // config from the YAML (which also carries the profile in its ConfigMap)
    assert_eq!(m.config.source.to_string(), "config_with_planner.yaml");
    assert_eq!((m.config.prefill_tp, m.config.decode_tp), (1, 2));
    assert_eq!(
        (m.config.prefill_replicas, m.config.decode_replicas),
        (Some(2), Some(1))
    );
    assert_eq!(m.profile.model, "Qwen/Qwen3-32B");
    assert_eq!(m.profile.backend, "trtllm");
    assert!(
        m.warnings.iter().any(|w| w.contains("2 prefill replicas")),
        "{:?}",
        m.warnings
    );
    // duration measured by the log: 10:02:11.512 → 12:01:02.250
    assert_eq!(serde_json::to_value(&m.cost).unwrap()["source"], "profile_sla.log");
    let want = (118.0 * 60.0 + 50.738) / 60.0;
    assert!((m.cost.duration_min - want).abs() < 1e-6, "{}", m.cost.duration_min);
    assert!(m.cost.gpu_hours > 0.0);
    // the suggested point is kept apart
    let s = m.suggested.as_ref().unwrap();
    assert_eq!((s.prefill_tp, s.decode_tp), (Some(1), Some(2)));
    assert_eq!((s.ttft_ms, s.itl_ms), (Some(249.31), Some(10.62)));
    // no validation anywhere: the rule levels for MAX_BS 8
    let conc: Vec<u32> = c.levels.iter().map(|l| l.concurrency).collect();
    assert_eq!(conc, [1, 4, 7, 9]);
    assert!(m.levels.iter().all(|l| l.actual.is_none()));
    let text = std::fs::read_to_string(dir.path().join("summary.txt")).unwrap();
    assert!(text.contains("online_yaml: prefill TP1 TTFT 249.3 ms"), "{text}");
    assert!(text.contains("profile_sla.log"));
}

#[test]
fn bad_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // missing results folder
    let e = run(&opts(&[("x", dir.path().join("nope"))], &out)).unwrap_err();
    assert!(matches!(e, Error::Usage { .. }), "{e}");
    assert!(e.to_string().contains("no such folder"), "{e}");
    // a folder with no profile
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = run(&opts(&[("e", empty.clone())], &out)).unwrap_err();
    assert!(matches!(e, Error::Data { .. }), "{e}");
    assert!(
        e.to_string().contains("selected_prefill_interpolation/raw_data.npz"),
        "{e}"
    );
    // duplicate labels
    let e = run(&opts(&[("a", results("aic_all")), ("a", results("online_all"))], &out)).unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
    // no way to learn the config
    let bare = dir.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    for f in ["prefill_raw_data.json", "decode_raw_data.json"] {
        std::fs::copy(results("aic_all").join(f), bare.join(f)).unwrap();
    }
    let e = run(&opts(&[("bare", bare.clone())], &out)).unwrap_err();
    assert!(e.to_string().contains("--prefill-tp and --decode-tp"), "{e}");
    // a validation file that does not parse: the reader's error, naming the file
    let v = bare.join("validation/idle");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("profile_export_aiperf.json"), "{\"input_config\": {}}").unwrap();
    let mut o = opts(&[("bare", bare.clone())], &out);
    o.prefill_tp = Some(1);
    o.decode_tp = Some(2);
    let e = run(&o).unwrap_err();
    assert!(matches!(e, Error::Data { .. }), "{e}");
    assert!(
        e.to_string().contains("validation/idle/profile_export_aiperf.json"),
        "{e}"
    );
    assert!(!out.exists(), "nothing written on error");
}
