//! Output formats of the metrics module against the real AIPerf export of the Dynamo comparison
//! run (`tests/fixtures/dynamo/.../validation/medium/profile_export_aiperf.json`, a copy of Dynamo's): the simulated
//! AIPerf JSON must have the same layout (keys, stat sub-keys, units) so AIPerf tooling reads it.

use serde_json::Value;
use slasim::metrics::{write_requests_csv, AiperfContext, MetricsCollector, RequestRecord, Sla, REQUESTS_CSV_COLUMNS};

const REAL_EXPORT: &str =
    "tests/fixtures/dynamo/benchmarks/profiler/comparison/results/aic_all/validation/medium/profile_export_aiperf.json";

fn real_export() -> Value {
    let path = crate::util::repo().join(REAL_EXPORT);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SLA: Sla = Sla {
    ttft_ms: 500.0,
    itl_ms: 50.0,
};

/// 100 requests of ISL 2048 / OSL 256 at concurrency 4, with times shaped like the real run
/// (TTFT ≈ 2 s, ITL ≈ 12.8 ms), a few scheduling delays and one preemption.
fn records() -> Vec<RequestRecord> {
    let mut slots = [0u64; 4];
    (0..100u64)
        .map(|i| {
            let slot = (i % 4) as usize;
            let arrival = slots[slot];
            let sched = arrival + (i % 7) * 3_000_000;
            let ttft = 1_800_000_000 + (i * 37 % 100) * 5_000_000;
            let decode = 255 * (12_500_000 + (i * 13 % 50) * 20_000);
            let done = arrival + ttft + decode;
            slots[slot] = done;
            RequestRecord {
                id: i,
                arrival_ns: arrival,
                first_scheduled_ns: sched,
                first_token_ns: arrival + ttft,
                completion_ns: done,
                isl: 2048,
                osl: 256,
                preemptions: u32::from(i == 42),
                cached_tokens: 0,
            }
        })
        .collect()
}

fn ctx() -> AiperfContext {
    AiperfContext {
        model: "Qwen/Qwen3-32B".into(),
        concurrency: Some(4),
        request_rate: None,
        request_count: 100,
        sla: SLA,
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

#[test]
fn aiperf_json_has_the_real_export_layout() {
    let real = real_export();
    for collector in [MetricsCollector::exact(), MetricsCollector::streaming()] {
        let mut c = collector;
        for r in &records() {
            c.record(r);
        }
        let sim = c.aiperf_json(&ctx());

        // Every key the brief lists is present.
        for k in [
            "request_throughput",
            "request_latency",
            "request_count",
            "time_to_first_token",
            "inter_token_latency",
            "output_token_throughput",
            "output_token_throughput_per_user",
            "output_sequence_length",
            "input_sequence_length",
            "goodput",
            "good_request_count",
            "output_token_count",
            "min_request_timestamp",
            "max_response_timestamp",
            "total_output_tokens",
            "benchmark_duration",
            "total_isl",
            "total_osl",
            "error_request_count",
            "input_config",
            "was_cancelled",
            "source",
        ] {
            assert!(sim.get(k).is_some(), "missing key {k}");
        }
        assert_eq!(sim["source"], "slasim");
        assert_eq!(sim["was_cancelled"], false);

        // Every top-level key except `source` exists in the real export, with the same shape:
        // metric entries have the real entry's sub-keys in the same order and the same unit.
        let mut compared = 0;
        for k in keys(&sim) {
            if k == "source" {
                continue;
            }
            let (s, r) = (&sim[&k], &real[&k]);
            assert!(real.get(&k).is_some(), "{k} is not an AIPerf key");
            if s.get("unit").is_some() {
                assert_eq!(keys(s), keys(r), "{k}: stat sub-keys differ from the real export");
                assert_eq!(s["unit"], r["unit"], "{k}: unit");
                for sub in keys(s).iter().filter(|x| *x != "unit") {
                    let x = s[sub].as_f64().unwrap_or(f64::NAN);
                    assert!(x.is_finite(), "{k}.{sub} = {}", s[sub]);
                }
                compared += 1;
            } else {
                assert_eq!(
                    std::mem::discriminant(s),
                    std::mem::discriminant(r),
                    "{k}: JSON type differs from the real export"
                );
            }
        }
        assert_eq!(compared, 20, "metric entries compared");

        // input_config carries what the calibration loader reads from a real export.
        let (si, ri) = (&sim["input_config"], &real["input_config"]);
        for path in [
            "/endpoint/model_names/0",
            "/input/goodput/time_to_first_token",
            "/input/goodput/inter_token_latency",
            "/input/prompt/input_tokens/mean",
            "/input/prompt/output_tokens/mean",
            "/loadgen/concurrency",
            "/loadgen/request_rate_mode",
            "/loadgen/request_count",
        ] {
            assert_eq!(si.pointer(path), ri.pointer(path), "input_config{path}");
        }

        // Numbers are self-consistent, as in a real export.
        let avg = |k: &str| sim[k]["avg"].as_f64().unwrap_or(f64::NAN);
        assert_eq!(avg("request_count"), 100.0);
        assert_eq!(avg("total_osl"), 25600.0);
        assert_eq!(avg("total_isl"), 204800.0);
        let dur = avg("benchmark_duration");
        let span = (avg("max_response_timestamp") - avg("min_request_timestamp")) / 1e9;
        assert!((dur - span).abs() < 1e-9 * dur, "{dur} vs {span}");
        assert!((avg("request_throughput") - 100.0 / dur).abs() < 1e-9);
        assert!((avg("output_token_throughput") - 25600.0 / dur).abs() < 1e-6);
        assert_eq!(avg("good_request_count"), 0.0, "TTFT ≈ 2 s misses the 500 ms target");
        assert_eq!(sim["output_sequence_length"]["p50"], 256.0);
        assert_eq!(sim["input_sequence_length"]["std"], 0.0);
        let itl = avg("inter_token_latency");
        assert!(
            (avg("output_token_throughput_per_user") - 1000.0 / itl).abs() < 0.01 * 1000.0 / itl,
            "tokens/sec/user ≈ 1000 / ITL ms"
        );
    }
}

#[test]
fn summary_and_aiperf_json_agree_on_the_same_run() {
    let mut c = MetricsCollector::exact();
    for r in &records() {
        c.record(r);
    }
    let m = c.finish(&SLA, 3);
    let a = c.aiperf_json(&ctx());
    assert_eq!(a["time_to_first_token"]["p50"].as_f64(), Some(m.ttft_ms.p50));
    assert_eq!(a["time_to_first_token"]["p99"].as_f64(), Some(m.ttft_ms.p99));
    assert_eq!(a["inter_token_latency"]["avg"].as_f64(), Some(m.itl_ms.mean));
    let e2e_p90_s = a["request_latency"]["p90"].as_f64().unwrap_or(f64::NAN) / 1e3;
    assert!((e2e_p90_s - m.e2e_latency_s.p90).abs() < 1e-12);
    assert_eq!(a["request_throughput"]["avg"].as_f64(), Some(m.request_throughput));
    assert_eq!(a["output_token_throughput"]["avg"].as_f64(), Some(m.throughput_token_s));
    assert_eq!(m.preemptions, 1);
    // The summary JSON has no nulls.
    let s = serde_json::to_string(&m).unwrap_or_default();
    assert!(!s.contains("null"), "{s}");
}

#[test]
fn requests_csv_round_trips_through_a_csv_reader() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("requests.csv");
    let mut recs = records();
    recs.reverse();
    write_requests_csv(&path, &recs, &SLA).unwrap_or_else(|e| panic!("{e}"));
    let mut rdr = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let header: Vec<String> = rdr
        .headers()
        .map(|h| h.iter().map(String::from).collect())
        .unwrap_or_default();
    assert_eq!(header, REQUESTS_CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = rdr.records().filter_map(|r| r.ok()).collect();
    assert_eq!(rows.len(), 100);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.get(0), Some(i.to_string().as_str()), "sorted by id");
        assert_eq!(row.get(2), Some("2048"));
        assert_eq!(row.get(3), Some("256"));
        assert_eq!(row.get(9), Some("false"));
        // Vidur columns in seconds = the ms columns / 1000.
        let f = |j: usize| row.get(j).and_then(|s| s.parse::<f64>().ok()).unwrap_or(f64::NAN);
        assert!((f(10) - f(4) / 1e3).abs() < 1e-12, "prefill_e2e_time");
        assert!((f(12) - f(6) / 1e3).abs() < 1e-12, "request_e2e_time");
        assert!((f(13) - f(7) / 1e3).abs() < 1e-12, "request_scheduling_delay");
        // (E2E − TTFT) / osl vs ITL = (E2E − TTFT) / (osl − 1).
        assert!((f(11) * 256.0 - f(5) * 255.0 / 1e3).abs() < 1e-9);
        assert_eq!(row.get(8), row.get(14));
    }
    assert_eq!(rows[42].get(8), Some("1"));
}
