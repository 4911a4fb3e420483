//! Unit tests of the collectors, RunMetrics, the AIPerf export and the requests CSV.

use super::*;
use approx::assert_relative_eq;

const MS: u64 = 1_000_000;

/// A record from times in ms (one argument per field reads best in the tables below).
#[allow(clippy::too_many_arguments)]
fn rec(id: u64, arrival: u64, sched: u64, first: u64, done: u64, isl: u32, osl: u32, pre: u32) -> RequestRecord {
    RequestRecord {
        id,
        arrival_ns: arrival * MS,
        first_scheduled_ns: sched * MS,
        first_token_ns: first * MS,
        completion_ns: done * MS,
        isl,
        osl,
        preemptions: pre,
        cached_tokens: 0,
    }
}

/// Five hand-made requests; against SLA {500 ms, 50 ms}:
/// r1 meets (TTFT 100, ITL 12); r2 misses TTFT (600); r3 misses ITL (60); r4 meets exactly on
/// both limits (TTFT 500, ITL 50); r5 has osl 1 (no ITL) and meets. Duration 0 → 4200 ms.
fn five() -> Vec<RequestRecord> {
    vec![
        rec(1, 0, 10, 100, 208, 2048, 10, 0),
        rec(2, 1000, 1500, 1600, 1708, 2048, 10, 2),
        rec(3, 2000, 2000, 2100, 2640, 2048, 10, 0),
        rec(4, 3000, 3100, 3500, 3600, 1024, 3, 1),
        rec(5, 4000, 4050, 4200, 4200, 512, 1, 0),
    ]
}

const SLA: Sla = Sla {
    ttft_ms: 500.0,
    itl_ms: 50.0,
};

fn collect(mut c: MetricsCollector, recs: &[RequestRecord]) -> MetricsCollector {
    for r in recs {
        c.record(r);
    }
    c
}

/// Deterministic 64-bit LCG (Knuth's MMIX constants) → uniform in [0, 1).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Lognormal-ish: exp of a sum of uniforms (≈ normal, σ ≈ 0.58·spread).
    fn lognormal(&mut self, median: f64, spread: f64) -> f64 {
        let z = self.next() + self.next() + self.next() + self.next() - 2.0;
        median * (z * spread).exp()
    }
}

/// `n` random requests: Poisson-ish arrivals, lognormal scheduling delay / TTFT / ITL, osl in
/// 1..=512 (some osl 1).
fn random_records(n: usize, seed: u64) -> Vec<RequestRecord> {
    let mut g = Lcg(seed);
    let mut t = 0u64;
    (0..n)
        .map(|i| {
            t += (g.lognormal(20.0, 1.0) * MS as f64) as u64;
            let sched = if g.next() < 0.3 {
                0
            } else {
                (g.lognormal(50.0, 1.5) * MS as f64) as u64
            };
            let ttft = sched + (g.lognormal(300.0, 0.8) * MS as f64) as u64;
            let osl = 1 + (g.next() * 512.0) as u32;
            let itl = g.lognormal(15.0, 0.4) * MS as f64;
            let decode = (itl * f64::from(osl - 1)) as u64;
            RequestRecord {
                id: i as u64,
                arrival_ns: t,
                first_scheduled_ns: t + sched,
                first_token_ns: t + ttft,
                completion_ns: t + ttft + decode,
                isl: 1 + (g.next() * 8192.0) as u32,
                osl,
                preemptions: u32::from(g.next() < 0.05),
                cached_tokens: 0,
            }
        })
        .collect()
}

#[test]
fn itl_follows_the_aiperf_definition() {
    // TTFT 100 ms, E2E 3160 ms, 256 tokens: ITL = (3160 − 100) / 255 = 12 ms.
    let r = rec(7, 1000, 1010, 1100, 1100 + 255 * 12, 2048, 256, 0);
    assert_eq!(r.ttft_ms(), 100.0);
    assert_eq!(r.e2e_ms(), 3160.0);
    assert_eq!(r.itl_ms(), Some(12.0));
    assert_eq!(r.scheduling_delay_ms(), 10.0);
    // Non-integer ITL: (E2E − TTFT) / (osl − 1) with ns precision.
    let r = RequestRecord {
        id: 0,
        arrival_ns: 0,
        first_scheduled_ns: 0,
        first_token_ns: 1_000_000,
        completion_ns: 1_000_000 + 10_000_001,
        isl: 1,
        osl: 4,
        preemptions: 0,
        cached_tokens: 0,
    };
    assert_relative_eq!(r.itl_ms().unwrap_or(0.0), 10.000001 / 3.0, max_relative = 1e-15);
}

#[test]
fn osl_one_has_no_itl_and_is_left_out_of_itl_stats() {
    let r5 = five()[4];
    assert_eq!(r5.itl_ms(), None);
    assert!(r5.meets_sla(&Sla {
        ttft_ms: 500.0,
        itl_ms: 0.0
    }));
    for c in [MetricsCollector::exact(), MetricsCollector::streaming()] {
        let c = collect(c, &[five()[0], r5]);
        let m = c.finish(&SLA, 1);
        assert_eq!(m.ttft_ms.count, 2);
        assert_eq!(m.tpot_ms.count, 1);
        assert_eq!(m.itl_ms, m.tpot_ms);
        assert_relative_eq!(m.itl_ms.p50, 12.0, max_relative = 1e-3);
        assert_eq!(m.itl_ms.min, 12.0);
        assert_eq!(m.itl_ms.max, 12.0);
    }
    let c = collect(MetricsCollector::streaming(), &[r5]);
    assert_eq!(c.streaming_itl_count(), Some(0));
}

#[test]
fn goodput_and_sla_hit_rate_on_hand_made_records() {
    let recs = five();
    assert_eq!(
        recs.iter().map(|r| r.meets_sla(&SLA)).collect::<Vec<_>>(),
        [true, false, false, true, true]
    );
    for c in [MetricsCollector::exact(), MetricsCollector::streaming_with_sla(SLA)] {
        let c = collect(c, &recs);
        assert!(c.goodput_is_exact(&SLA));
        let m = c.finish(&SLA, 3);
        assert_eq!(m.requests_completed, 5);
        assert_eq!(m.preemptions, 3);
        assert_eq!(m.duration_s, 4.2);
        assert_eq!(m.total_output_tokens, 34);
        assert_eq!(m.total_input_tokens, 2048 * 3 + 1024 + 512);
        assert_relative_eq!(m.sla_hit_rate, 0.6);
        assert_relative_eq!(m.goodput_req_s, 3.0 / 4.2);
        assert_relative_eq!(m.goodput_per_gpu, 1.0 / 4.2);
        assert_relative_eq!(m.request_throughput, 5.0 / 4.2);
        assert_relative_eq!(m.throughput_token_s, 34.0 / 4.2);
    }
    // Exact stats (numpy: percentile([100,600,100,500,200], [50,90,95,99]) = 200, 560, 580, 596).
    let m = collect(MetricsCollector::exact(), &recs).finish(&SLA, 3);
    assert_eq!(
        (m.ttft_ms.p50, m.ttft_ms.mean, m.ttft_ms.min, m.ttft_ms.max),
        (200.0, 300.0, 100.0, 600.0)
    );
    assert_relative_eq!(m.ttft_ms.p90, 560.0);
    assert_relative_eq!(m.ttft_ms.p95, 580.0);
    assert_relative_eq!(m.ttft_ms.p99, 596.0);
    // ITL values 12, 12, 60, 50 (r5 left out): numpy p50 = 31, p99 = 59.7.
    assert_eq!(m.itl_ms.count, 4);
    assert_eq!((m.itl_ms.p50, m.itl_ms.mean), (31.0, 33.5));
    assert_relative_eq!(m.itl_ms.p99, 59.7, max_relative = 1e-12);
    // E2E in seconds: 0.208, 0.708, 0.640, 0.600, 0.200.
    assert_relative_eq!(m.e2e_latency_s.max, 0.708, max_relative = 1e-12);
    assert_relative_eq!(m.e2e_latency_s.p50, 0.6, max_relative = 1e-12);
    // Scheduling delay 10, 500, 0, 100, 50 ms.
    assert_eq!((m.scheduling_delay_ms.min, m.scheduling_delay_ms.p50), (0.0, 50.0));

    // A streaming collector without the SLA estimates goodput from its joint histogram: exact
    // when no request is within a bucket (≤ 1.6 %) of a limit.
    let c = collect(MetricsCollector::streaming(), &recs);
    let sla2 = Sla {
        ttft_ms: 550.0,
        itl_ms: 55.0,
    };
    assert!(!c.goodput_is_exact(&sla2));
    let m = c.finish(&sla2, 3);
    assert_eq!(m.sla_hit_rate, 0.6);
    // Zero GPUs → 0 per GPU, not inf.
    assert_eq!(c.finish(&sla2, 0).goodput_per_gpu, 0.0);
}

#[test]
fn empty_and_degenerate_runs_have_no_nan() {
    for c in [MetricsCollector::exact(), MetricsCollector::streaming()] {
        let m = c.finish(&SLA, 4);
        assert_eq!(m, RunMetrics::default());
        let s = serde_json::to_string(&m).unwrap_or_default();
        assert!(!s.contains("null") && !s.contains("NaN"), "{s}");
        let a = c.aiperf_json(&ctx(Some(4), None));
        let s = a.to_string();
        assert!(!s.contains("NaN"));
        assert_eq!(a["request_count"]["avg"], 0.0);
        assert!(a.get("request_latency").is_none());
    }
    // Zero duration (everything at t = 0), out-of-order times: no panic, no NaN/inf.
    let weird = [
        rec(1, 0, 0, 0, 0, 0, 1, 0),
        RequestRecord {
            id: 2,
            arrival_ns: 50,
            first_scheduled_ns: 10,
            first_token_ns: 5,
            completion_ns: 1,
            isl: 10,
            osl: 0,
            preemptions: 0,
            cached_tokens: 0,
        },
    ];
    for c in [MetricsCollector::exact(), MetricsCollector::streaming()] {
        let c = collect(c, &weird);
        let m = c.finish(&SLA, 1);
        let s = serde_json::to_string(&m).unwrap_or_default();
        assert!(!s.contains("null"), "{s}");
        // Duration 0 → 1 ns (first arrival → last completion): huge but finite rates.
        assert_eq!(m.duration_s, 1e-9);
        assert!(m.request_throughput.is_finite() && m.goodput_req_s.is_finite());
        let a = c.aiperf_json(&ctx(None, Some(f64::NAN))).to_string();
        assert!(!a.contains("NaN"), "{a}");
    }
}

#[test]
fn run_metrics_serialise_with_the_spec_keys_in_order() {
    let m = collect(MetricsCollector::exact(), &five()).finish(&SLA, 1);
    let v = serde_json::to_value(&m).unwrap_or_default();
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "ttft_ms",
            "tpot_ms",
            "itl_ms",
            "e2e_latency_s",
            "scheduling_delay_ms",
            "throughput_token_s",
            "request_throughput",
            "goodput_req_s",
            "sla_hit_rate",
            "goodput_per_gpu",
            "requests_completed",
            "preemptions"
        ]
    );
    let stat_keys: Vec<&str> = v["ttft_ms"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(stat_keys, ["p50", "p90", "p95", "p99", "mean", "min", "max", "count"]);
    // Round trip (the skipped fields come back as 0).
    let back: RunMetrics = serde_json::from_value(v).unwrap_or_default();
    assert_eq!(back.ttft_ms, m.ttft_ms);
    assert_eq!(back.requests_completed, 5);
}

#[test]
fn streaming_percentiles_within_0_1_percent_of_exact() {
    let recs = random_records(100_000, 42);
    let exact = collect(MetricsCollector::exact_with_capacity(recs.len()), &recs);
    let stream = collect(MetricsCollector::streaming(), &recs);
    let (e, s) = (exact.finish(&SLA, 2), stream.finish(&SLA, 2));
    for (name, a, b) in [
        ("ttft", e.ttft_ms, s.ttft_ms),
        ("itl", e.itl_ms, s.itl_ms),
        ("e2e", e.e2e_latency_s, s.e2e_latency_s),
        ("sched", e.scheduling_delay_ms, s.scheduling_delay_ms),
    ] {
        assert_eq!(a.count, b.count, "{name}");
        for (x, y) in [(a.p50, b.p50), (a.p90, b.p90), (a.p95, b.p95), (a.p99, b.p99)] {
            assert_relative_eq!(x, y, max_relative = 1e-3);
        }
        assert_eq!((a.min, a.max), (b.min, b.max), "{name}");
        assert_relative_eq!(a.mean, b.mean, max_relative = 1e-9);
    }
    assert_eq!(e.requests_completed, s.requests_completed);
    assert_eq!(e.throughput_token_s, s.throughput_token_s);
    // Goodput estimated from the joint histogram: within 1 % of the requests.
    assert!(
        (e.sla_hit_rate - s.sla_hit_rate).abs() < 0.01,
        "{} vs {}",
        e.sla_hit_rate,
        s.sla_hit_rate
    );
    // … and exact with the SLA given up front.
    let stream_sla = collect(MetricsCollector::streaming_with_sla(SLA), &recs);
    assert_eq!(stream_sla.finish(&SLA, 2).sla_hit_rate, e.sla_hit_rate);

    // Every AIPerf distribution entry agrees too (percentiles 0.1 %, moments ≈ exact).
    let c = ctx(None, Some(5.0));
    let (ae, as_) = (exact.aiperf_json(&c), stream.aiperf_json(&c));
    let mut checked = 0;
    for (k, ve) in ae.as_object().into_iter().flatten() {
        if ve.get("p50").is_none() {
            continue;
        }
        for sub in [
            "avg", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "min", "max", "std",
        ] {
            let x = ve[sub].as_f64().unwrap_or(f64::NAN);
            let y = as_[k][sub].as_f64().unwrap_or(f64::NAN);
            let tol = if sub == "std" { 1e-6 } else { 1e-3 };
            assert!(
                (x - y).abs() <= tol * x.abs().max(1e-12),
                "{k}.{sub}: exact {x} streaming {y}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 9);
}

#[test]
fn streaming_memory_is_fixed() {
    let mut c = MetricsCollector::streaming_with_sla(SLA);
    let lens = c.bucket_lens();
    let bytes = c.heap_bytes();
    assert!(bytes < 16 << 20, "{bytes} bytes");
    let base = random_records(1000, 7);
    for i in 0..1_000_000u64 {
        let mut r = base[(i % 1000) as usize];
        r.id = i;
        // Spread the values over many orders of magnitude.
        r.completion_ns += (i % 97) << (i % 40);
        c.record(&r);
    }
    assert_eq!(c.count(), 1_000_000);
    assert_eq!(c.bucket_lens(), lens);
    assert_eq!(c.heap_bytes(), bytes);
    assert!(c.records().is_empty());
}

#[test]
fn streaming_record_speed() {
    let base = random_records(4096, 11);
    let recs: Vec<RequestRecord> = (0..1_000_000u64)
        .map(|i| {
            let mut r = base[(i % 4096) as usize];
            r.id = i;
            r
        })
        .collect();
    let mut c = MetricsCollector::streaming_with_sla(SLA);
    let t = std::time::Instant::now();
    for r in &recs {
        c.record(std::hint::black_box(r));
    }
    let dt = t.elapsed();
    let m = c.finish(&SLA, 1);
    eprintln!(
        "streaming record(): 1M records in {:.1} ms ({:.1} ns/record)",
        dt.as_secs_f64() * 1e3,
        dt.as_secs_f64() * 1e9 / 1e6
    );
    assert_eq!(m.requests_completed, 1_000_000);
    // Target < 100 ms in release; the asserts leave room for loaded CI machines and debug builds.
    let limit = if cfg!(debug_assertions) { 20.0 } else { 1.0 };
    assert!(dt.as_secs_f64() < limit, "{dt:?}");
}

fn ctx(concurrency: Option<u32>, request_rate: Option<f64>) -> AiperfContext {
    AiperfContext {
        model: "Qwen/Qwen3-32B".into(),
        concurrency,
        request_rate,
        request_count: 5,
        sla: SLA,
    }
}

#[test]
fn aiperf_json_layout() {
    let c = collect(MetricsCollector::exact(), &five());
    let v = c.aiperf_json(&ctx(Some(4), None));
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
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
            "reasoning_token_count",
            "min_request_timestamp",
            "max_response_timestamp",
            "total_output_tokens",
            "total_reasoning_tokens",
            "benchmark_duration",
            "total_isl",
            "total_osl",
            "error_request_count",
            "error_isl",
            "total_error_isl",
            "input_config",
            "was_cancelled",
            "error_summary",
            "time_to_first_output_token",
            "prefill_throughput",
            "source"
        ]
    );
    let dist_keys = [
        "unit", "avg", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "min", "max", "std",
    ];
    let sub = |k: &str| -> Vec<String> {
        v[k].as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(sub("request_latency"), dist_keys);
    assert_eq!(sub("request_throughput"), ["unit", "avg"]);
    assert_eq!(v["request_throughput"]["unit"], "requests/sec");
    assert_relative_eq!(v["request_throughput"]["avg"].as_f64().unwrap_or(0.0), 5.0 / 4.2);
    assert_eq!(v["request_count"]["avg"], 5.0);
    assert_eq!(v["time_to_first_token"]["p50"], 200.0);
    assert_eq!(v["time_to_first_token"]["unit"], "ms");
    // numpy.std([100, 600, 100, 500, 200]) = 209.76176963403032
    assert_relative_eq!(
        v["time_to_first_token"]["std"].as_f64().unwrap_or(0.0),
        209.76176963403032,
        max_relative = 1e-13
    );
    assert_eq!(v["inter_token_latency"]["avg"], 33.5);
    assert_eq!(v["output_token_throughput_per_user"]["unit"], "tokens/sec/user");
    assert_relative_eq!(
        v["output_token_throughput_per_user"]["max"].as_f64().unwrap_or(0.0),
        1000.0 / 12.0
    );
    assert_eq!(v["goodput"]["unit"], "requests/sec");
    assert_eq!(v["good_request_count"]["avg"], 3.0);
    assert_eq!(v["benchmark_duration"], serde_json::json!({"unit": "sec", "avg": 4.2}));
    assert_eq!(v["min_request_timestamp"]["avg"], 0.0);
    assert_eq!(v["max_response_timestamp"]["avg"], 4.2e9);
    assert_eq!(v["max_response_timestamp"]["unit"], "ns");
    assert_eq!(v["total_osl"]["avg"], 34.0);
    assert_eq!(v["output_sequence_length"]["max"], 10.0);
    // ISL 2048 / TTFT 0.1 s = 20480 tokens/s for r1.
    assert_eq!(v["prefill_throughput"]["max"], 20480.0);
    assert_eq!(v["was_cancelled"], false);
    assert_eq!(v["source"], "slasim");
    let ic = &v["input_config"];
    assert_eq!(ic["endpoint"]["model_names"][0], "Qwen/Qwen3-32B");
    assert_eq!(ic["input"]["goodput"]["time_to_first_token"], 500.0);
    assert_eq!(ic["input"]["goodput"]["inter_token_latency"], 50.0);
    assert_eq!(ic["input"]["prompt"]["output_tokens"]["mean"], 6.8);
    assert_eq!(ic["loadgen"]["concurrency"], 4);
    assert_eq!(ic["loadgen"]["request_count"], 5);
    assert!(ic["loadgen"].get("request_rate").is_none());
    // Open loop.
    let v = c.aiperf_json(&ctx(None, Some(2.5)));
    assert_eq!(v["input_config"]["loadgen"]["request_rate"], 2.5);
    assert!(v["input_config"]["loadgen"].get("concurrency").is_none());
    // Same bytes every time.
    assert_eq!(v.to_string(), c.aiperf_json(&ctx(None, Some(2.5))).to_string());
}

#[test]
fn requests_csv_header_and_rows() {
    let mut recs = five();
    recs.reverse(); // written sorted by id regardless
    let bytes = requests_csv_bytes(&recs, &SLA).unwrap_or_default();
    let text = String::from_utf8(bytes).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[0],
        "request_id,arrived_at,request_num_prefill_tokens,request_num_decode_tokens,ttft_ms,itl_ms,e2e_ms,\
         scheduling_delay_ms,preemptions,meets_sla,prefill_e2e_time,\
         decode_time_execution_plus_preemption_normalized,request_e2e_time,request_scheduling_delay,\
         request_num_restarts,cached_prefix_tokens"
    );
    // r1: TTFT 100 ms, ITL 12 ms, E2E 208 ms, delay 10 ms; decode 108 ms / 10 tokens.
    assert_eq!(lines[1], "1,0,2048,10,100,12,208,10,0,true,0.1,0.0108,0.208,0.01,0,0");
    assert_eq!(lines[2], "2,1,2048,10,600,12,708,500,2,false,0.6,0.0108,0.708,0.5,2,0");
    // r5: osl 1 → empty itl_ms.
    assert_eq!(lines[5], "5,4,512,1,200,,200,50,0,true,0.2,0,0.2,0.05,0,0");

    let dir = tempfile::tempdir().map_err(|e| e.to_string());
    let Ok(dir) = dir else { panic!("tempdir") };
    let path = dir.path().join("sub/requests.csv");
    assert!(write_requests_csv(&path, &recs, &SLA).is_ok());
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), text);
    let entries = std::fs::read_dir(dir.path().join("sub"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(entries, 1, "no temp file left behind");
    // An unwritable path is an error naming the path, not a panic.
    let bad = dir.path().join("requests.csv/x.csv");
    std::fs::write(dir.path().join("requests.csv"), b"file").ok();
    let err = write_requests_csv(&bad, &recs, &SLA)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("x.csv"), "{err}");
}

#[test]
fn exact_collector_keeps_records() {
    let c = collect(MetricsCollector::exact(), &five());
    assert_eq!(c.records(), five().as_slice());
    assert_eq!(c.count(), 5);
    assert!(!c.is_streaming());
    let huge = MetricsCollector::exact_with_capacity(usize::MAX);
    assert_eq!(huge.count(), 0);
    assert!(format!("{c:?}").contains("exact"));
}
