use super::*;
use serde_json::json;

fn map(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("test maps are objects"),
    }
}

#[test]
fn maps_become_the_flags_words() {
    let w = flags_from_map(
        "workload",
        FlagGroup::Workload,
        &map(json!({"isl": 1024, "concurrency": [1, 4], "trace_rate_scale": 1.5, "osl": "uniform:1:8", "requests": null})),
    )
    .unwrap();
    assert_eq!(
        w,
        [
            "--isl=1024",
            "--concurrency=1,4",
            "--trace-rate-scale=1.5",
            "--osl=uniform:1:8"
        ]
    );
    // a switch takes true / false; a repeatable flag repeats
    let w = flags_from_map(
        "calibrate",
        FlagGroup::Command("calibrate"),
        &map(json!({"fit": true, "tight": false, "hw_run": ["a.json", "b.json"]})),
    )
    .unwrap();
    assert_eq!(w, ["--fit", "--hw-run=a.json", "--hw-run=b.json"]);
    // a value that starts with '-' stays a value
    let w = flags_from_map("workload", FlagGroup::Workload, &map(json!({"isl": -1}))).unwrap();
    assert_eq!(w, ["--isl=-1"]);
}

#[test]
fn bad_maps_name_the_key() {
    let e = flags_from_map("workload", FlagGroup::Workload, &map(json!({"nope": 1}))).unwrap_err();
    let m = e.to_string();
    assert!(m.starts_with("workload: unknown key `nope`; known keys: "), "{m}");
    assert!(m.contains("concurrency") && m.contains("isl"), "{m}");
    assert!(!m.contains("json"), "{m}");
    let e = flags_from_map("calibrate", FlagGroup::Command("calibrate"), &map(json!({"fit": 1}))).unwrap_err();
    assert_eq!(e.to_string(), "calibrate: `fit`: expected true or false, got a number");
    let e = flags_from_map("sla", FlagGroup::Sla, &map(json!({"ttft": [1, 2]}))).unwrap_err();
    assert_eq!(e.to_string(), "sla: `ttft`: expected one value, got an array");
    let e = flags_from_map("sla", FlagGroup::Sla, &map(json!({"ttft": {"a": 1}}))).unwrap_err();
    assert!(e.to_string().contains("expected a number, a string"), "{e}");
}

#[test]
fn simulate_defaults_to_the_first_default_level() {
    let out = simulate(&SimulateRequest::default()).unwrap();
    assert_eq!(out.summaries.len(), 1);
    assert_eq!(out.summaries[0]["workload"]["concurrency"], json!(1));
    assert_eq!(out.summaries[0]["workload"]["requests"], json!(100));
    assert!(out.records.is_none());
}

#[test]
fn simulate_records_are_columns_of_one_row_per_request() {
    let req = SimulateRequest {
        profile: Some("llama-3.1-8b-fp8/h200/vllm".into()),
        workload: map(json!({"concurrency": [2, 3], "requests": 25, "osl": 1})),
        records: true,
        ..Default::default()
    };
    let out = simulate(&req).unwrap();
    let recs = out.records.unwrap();
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert_eq!(r["request_id"].as_array().map(Vec::len), Some(25));
        // osl 1: no ITL (an empty CSV cell)
        assert!(r["itl_ms"].as_array().unwrap().iter().all(Value::is_null));
    }
}

#[test]
fn errors_are_classified() {
    let e = simulate(&SimulateRequest {
        profile: Some("no/such".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(e.class, ErrorClass::Profile);
    let e = simulate(&SimulateRequest {
        workload: map(json!({"concurrency": 0})),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(e.class, ErrorClass::Usage);
    assert_eq!(e.message, "--concurrency: must be between 1 and 1000000, got 0");
    let e = simulate(&SimulateRequest {
        deployment: Some(Input::Data(json!({"tp": "two"}))),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(e.class, ErrorClass::Data);
    let e = simulate(&SimulateRequest {
        calibration: Some(Input::Path("/no/such/calibration.json".into())),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(e.class, ErrorClass::File);
    let e = run_command(&["profile".into(), "lisst".into()]).unwrap_err();
    assert_eq!(e.class, ErrorClass::Usage);
    assert!(
        e.message.starts_with("unrecognized subcommand 'lisst'"),
        "{}",
        e.message
    );
}

#[test]
fn commands_return_their_json_and_print_nothing_to_stdout() {
    let out = run_command(&["profile".into(), "list".into()]).unwrap();
    assert_eq!(out.exit_code, 0);
    let names: Vec<&str> = out
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, crate::profile::shipped::names());
    // capture is per call: nothing is left for the next one
    let (r, v) = crate::cli::args::capture_json(|| Ok(()));
    assert!(r.is_ok() && v.is_none());
}

#[test]
fn panics_become_internal_errors() {
    let e = catch(|| -> u32 { panic!("boom") }).unwrap_err();
    assert_eq!(e.class, ErrorClass::Internal);
    assert!(e.message.contains("boom"), "{}", e.message);
}
