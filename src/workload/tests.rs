//! Unit tests of the request generator (arrivals × lengths × limits).

use super::*;

fn open(p: ArrivalPattern, requests: Option<u64>) -> WorkloadSpec {
    WorkloadSpec::new(LoadSpec::OpenLoop(p), LengthModel::fixed(2048, 256), requests, 1)
}

fn arrivals(spec: &WorkloadSpec) -> Vec<u64> {
    let mut g = spec.generator().unwrap_or_else(|e| panic!("{e}"));
    std::iter::from_fn(|| g.next_arrival().map(|(t, _)| t)).collect()
}

/// Mean and coefficient of variation of the gaps (seconds) between consecutive arrivals,
/// starting from t = 0.
fn gap_stats(times: &[u64]) -> (f64, f64) {
    let mut prev = 0u64;
    let gaps: Vec<f64> = times
        .iter()
        .map(|&t| {
            let g = (t - prev) as f64 * 1e-9;
            prev = t;
            g
        })
        .collect();
    let n = gaps.len() as f64;
    let mean = gaps.iter().sum::<f64>() / n;
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt() / mean)
}

fn trace_of(times: &[f64], lens: &[(u32, u32)]) -> Arc<Trace> {
    Arc::new(Trace {
        source: "test-trace".into(),
        prefix: None,
        rows: times
            .iter()
            .zip(lens)
            .map(|(&a, &(isl, osl))| TraceRow {
                arrived_at_s: Some(a),
                isl,
                osl,
            })
            .collect(),
    })
}

fn err(spec: &WorkloadSpec) -> String {
    match spec.validate() {
        Ok(()) => panic!("expected an error for {spec:?}"),
        Err(e) => {
            // generator() refuses too
            assert!(spec.generator().is_err());
            e.to_string()
        }
    }
}

#[test]
fn poisson_mean_rate_and_cv() {
    let times = arrivals(&open(ArrivalPattern::Poisson { rps: 10.0 }, Some(200_000)));
    assert_eq!(times.len(), 200_000);
    assert!(times[0] > 0, "Poisson starts after the first exponential gap");
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let (mean, cv) = gap_stats(&times);
    assert!((mean - 0.1).abs() / 0.1 < 0.02, "mean gap {mean}");
    assert!((cv - 1.0).abs() < 0.02, "cv {cv}");
}

#[test]
fn gamma_mean_rate_and_cv() {
    for cv_want in [0.5, 2.0, 1.0] {
        let times = arrivals(&open(ArrivalPattern::Gamma { rps: 4.0, cv: cv_want }, Some(200_000)));
        let (mean, cv) = gap_stats(&times);
        assert!((mean - 0.25).abs() / 0.25 < 0.02, "cv {cv_want}: mean gap {mean}");
        assert!((cv - cv_want).abs() / cv_want < 0.04, "cv {cv_want}: measured {cv}");
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }
}

#[test]
fn constant_exact_spacing() {
    let times = arrivals(&open(ArrivalPattern::Constant { rps: 4.0 }, Some(5)));
    assert_eq!(times, vec![0, 250_000_000, 500_000_000, 750_000_000, 1_000_000_000]);
    let times = arrivals(&open(ArrivalPattern::Constant { rps: 3.0 }, Some(1_000_000)));
    for (j, &t) in times.iter().enumerate().step_by(9_973) {
        assert_eq!(t, (j as f64 * 1e9 / 3.0).round() as u64);
    }
    assert_eq!(times[999_999], 333_333_000_000_000);
}

#[test]
fn sinusoid_mean_rate_and_peak() {
    let (min, max, period) = (5.0, 45.0, 100.0);
    let periods = 100.0;
    let mut spec = open(
        ArrivalPattern::Sinusoid {
            min_rps: min,
            max_rps: max,
            period_s: period,
        },
        None,
    );
    spec.duration_s = Some(period * periods);
    let times = arrivals(&spec);
    let expected = (min + max) / 2.0 * period * periods;
    let n = times.len() as f64;
    assert!((n - expected).abs() / expected < 0.01, "{n} arrivals vs {expected}");
    assert!(*times.last().unwrap_or(&0) <= 10_000_000_000_000);
    // histogram by phase: the busiest 1/20 of the period is around period/2
    let bins = 20;
    let mut hist = vec![0usize; bins];
    for &t in &times {
        let phase = (t as f64 * 1e-9 / period).fract();
        hist[((phase * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let peak = (0..bins).max_by_key(|&b| hist[b]).unwrap_or(0);
    assert!(peak == 9 || peak == 10, "peak bin {peak}: {hist:?}");
    // each bin matches the integral of the rate over it (within 5 standard deviations)
    for (b, &count) in hist.iter().enumerate() {
        let (x0, x1) = (b as f64 / bins as f64, (b + 1) as f64 / bins as f64);
        let integral = |x: f64| min * x + (max - min) / 2.0 * (x - (TAU_F * x).sin() / TAU_F);
        let want = (integral(x1) - integral(x0)) * period * periods;
        assert!(
            (count as f64 - want).abs() < 5.0 * want.sqrt(),
            "bin {b}: {count} vs {want}"
        );
    }
}

const TAU_F: f64 = std::f64::consts::TAU;

#[test]
fn sinusoid_with_zero_minimum_and_flat() {
    // min 0 is allowed; min == max is a plain Poisson process
    for (min, max) in [(0.0, 20.0), (10.0, 10.0)] {
        let mut spec = open(
            ArrivalPattern::Sinusoid {
                min_rps: min,
                max_rps: max,
                period_s: 50.0,
            },
            None,
        );
        spec.duration_s = Some(5_000.0);
        let n = arrivals(&spec).len() as f64;
        let want = (min + max) / 2.0 * 5_000.0;
        assert!((n - want).abs() / want < 0.03, "{min}-{max}: {n} vs {want}");
    }
}

#[test]
fn piecewise_rates_per_step() {
    let steps = vec![(0.0, 10.0), (1000.0, 50.0), (2000.0, 0.0), (3000.0, 20.0)];
    let mut spec = open(ArrivalPattern::Piecewise { steps: steps.clone() }, None);
    spec.duration_s = Some(4000.0);
    let times = arrivals(&spec);
    let mut counts = [0usize; 4];
    for &t in &times {
        counts[((t as f64 * 1e-9 / 1000.0) as usize).min(3)] += 1;
    }
    assert_eq!(counts[2], 0, "rate 0 step has no arrivals");
    for (i, want) in [(0, 10_000.0), (1, 50_000.0), (3, 20_000.0)] {
        assert!(
            (counts[i] as f64 - want).abs() / want < 0.04,
            "step {i}: {} vs {want}",
            counts[i]
        );
    }
    assert_eq!(spec.request_count(), None);
    // a schedule ending with rate 0 ends the arrivals
    let spec = open(
        ArrivalPattern::Piecewise {
            steps: vec![(0.0, 100.0), (10.0, 0.0)],
        },
        Some(1_000_000),
    );
    let times = arrivals(&spec);
    assert!(times.len() > 800 && times.len() < 1200, "{}", times.len());
    assert!(times.iter().all(|&t| t < 10_000_000_000));
    assert_eq!(spec.request_count(), None);
    // a leading rate-0 step delays the first arrival
    let spec = open(
        ArrivalPattern::Piecewise {
            steps: vec![(0.0, 0.0), (5.0, 1.0)],
        },
        Some(3),
    );
    assert!(arrivals(&spec)[0] > 5_000_000_000);
    assert_eq!(spec.request_count(), Some(3));
}

#[test]
fn trace_replay_times_rate_scale_and_cycling() {
    let trace = trace_of(&[10.0, 11.0, 13.0], &[(100, 5), (200, 6), (300, 7)]);
    let mut spec = open(ArrivalPattern::Trace, None);
    spec.lengths = LengthModel::Trace;
    spec.trace = Some(Arc::clone(&trace));
    assert_eq!(spec.request_count(), Some(3));
    let mut g = spec.generator().unwrap();
    let got: Vec<(u64, RequestShape)> = std::iter::from_fn(|| g.next_arrival()).collect();
    assert_eq!(
        got,
        vec![
            (0, RequestShape::new(100, 5)),
            (1_000_000_000, RequestShape::new(200, 6)),
            (3_000_000_000, RequestShape::new(300, 7)),
        ]
    );
    assert!(g.next_arrival().is_none() && g.is_done());
    // twice as fast
    spec.trace_rate_scale = 2.0;
    assert_eq!(arrivals(&spec), vec![0, 500_000_000, 1_500_000_000]);
    // more requests than rows: span 3 s + mean gap 1.5 s per pass (scaled)
    spec.trace_rate_scale = 1.0;
    spec.requests = Some(7);
    assert_eq!(spec.request_count(), Some(7));
    let mut g = spec.generator().unwrap();
    let got: Vec<(u64, RequestShape)> = std::iter::from_fn(|| g.next_arrival()).collect();
    let times: Vec<u64> = got.iter().map(|x| x.0).collect();
    assert_eq!(
        times,
        vec![
            0,
            1_000_000_000,
            3_000_000_000,
            4_500_000_000,
            5_500_000_000,
            7_500_000_000,
            9_000_000_000
        ]
    );
    let isl: Vec<u32> = got.iter().map(|x| x.1.isl).collect();
    assert_eq!(isl, vec![100, 200, 300, 100, 200, 300, 100]);
    // a duration cuts the replay (an arrival exactly at the duration is kept)
    spec.requests = None;
    spec.duration_s = Some(5.5);
    assert_eq!(
        arrivals(&spec),
        vec![0, 1_000_000_000, 3_000_000_000, 4_500_000_000, 5_500_000_000]
    );
    assert_eq!(spec.request_count(), Some(5));
    spec.requests = Some(4);
    assert_eq!(spec.request_count(), Some(4));
    assert_eq!(arrivals(&spec).len(), 4);
    // trace arrivals with distribution lengths
    spec.lengths = LengthModel::fixed(7, 8);
    spec.requests = Some(2);
    let mut g = spec.generator().unwrap();
    assert_eq!(g.next_arrival(), Some((0, RequestShape::new(7, 8))));
}

#[test]
fn real_trace_replay_matches_file_times() {
    let trace = Arc::new(shipped_trace("splitwise_code").unwrap().unwrap());
    let mut spec = open(ArrivalPattern::Trace, None);
    spec.lengths = LengthModel::Trace;
    spec.trace = Some(Arc::clone(&trace));
    assert_eq!(spec.request_count(), Some(8_819));
    let rate = spec.mean_rps().unwrap_or(0.0);
    assert!((rate - 2.567).abs() < 0.01, "{rate}");
    let mut g = spec.generator().unwrap();
    for row in &trace.rows {
        let (t, shape) = g.next_arrival().unwrap();
        assert_eq!(t, (row.arrived_at_s.unwrap() * 1e9).round() as u64);
        assert_eq!(shape, RequestShape::new(row.isl, row.osl));
    }
    assert!(g.next_arrival().is_none());
    // at 3x speed, one hour of trace takes ~20 minutes
    spec.trace_rate_scale = 3.0;
    let last = *arrivals(&spec).last().unwrap_or(&0) as f64 * 1e-9;
    assert!((last - 3_435.948056 / 3.0).abs() < 1e-6, "{last}");
    assert!((spec.mean_rps().unwrap_or(0.0) - 3.0 * rate).abs() < 1e-9);
}

#[test]
fn trace_lengths_with_poisson_arrivals_and_closed_loop() {
    let trace = Arc::new(Trace {
        source: "lengths".into(),
        prefix: None,
        rows: vec![
            TraceRow {
                arrived_at_s: None,
                isl: 11,
                osl: 1,
            },
            TraceRow {
                arrived_at_s: None,
                isl: 22,
                osl: 2,
            },
        ],
    });
    // Poisson + trace lengths, no --requests: one pass of the trace
    let mut spec = open(ArrivalPattern::Poisson { rps: 1.0 }, None);
    spec.lengths = LengthModel::Trace;
    spec.trace = Some(Arc::clone(&trace));
    assert_eq!(spec.request_count(), Some(2));
    let mut g = spec.generator().unwrap();
    let shapes: Vec<RequestShape> = std::iter::from_fn(|| g.next_arrival().map(|x| x.1)).collect();
    assert_eq!(shapes, vec![RequestShape::new(11, 1), RequestShape::new(22, 2)]);
    // closed loop over the trace lengths, cycling
    let mut spec = WorkloadSpec::new(LoadSpec::Concurrency(2), LengthModel::Trace, Some(5), 0);
    spec.trace = Some(trace);
    let mut g = spec.generator().unwrap();
    let isl: Vec<u32> = std::iter::from_fn(|| g.next_shape().map(|s| s.isl)).collect();
    assert_eq!(isl, vec![11, 22, 11, 22, 11]);
    spec.requests = None;
    assert_eq!(spec.request_count(), Some(2));
}

#[test]
fn closed_loop_request_count() {
    let spec = WorkloadSpec::new(LoadSpec::Concurrency(4), LengthModel::fixed(2048, 256), Some(100), 1);
    assert_eq!(spec.request_count(), Some(100));
    assert_eq!(spec.mean_rps(), None);
    let mut g = spec.generator().unwrap();
    assert_eq!(g.next_arrival(), None, "closed loop has no arrival times");
    let shapes: Vec<RequestShape> = std::iter::from_fn(|| g.next_shape()).collect();
    assert_eq!(shapes.len(), 100);
    assert!(shapes.iter().all(|s| *s == RequestShape::new(2048, 256)));
    assert_eq!(g.issued(), 100);
    assert_eq!(g.next_shape(), None);
    assert!(g.is_done());
    // a duration does not limit the closed-loop generator
    let mut spec = spec;
    spec.duration_s = Some(1.0);
    assert_eq!(spec.generator().unwrap().count_shapes(), 100);
}

impl RequestGenerator {
    fn count_shapes(mut self) -> usize {
        std::iter::from_fn(|| self.next_shape()).count()
    }
}

#[test]
fn open_loop_limits() {
    // requests and duration: whichever comes first
    let mut spec = open(ArrivalPattern::Constant { rps: 10.0 }, Some(1000));
    spec.duration_s = Some(2.0);
    assert_eq!(arrivals(&spec).len(), 21); // 0, 0.1, …, 2.0
    assert_eq!(spec.request_count(), Some(21));
    spec.duration_s = Some(1000.0);
    assert_eq!(arrivals(&spec).len(), 1000);
    assert_eq!(spec.request_count(), Some(1000));
    spec.requests = None;
    spec.duration_s = Some(0.05);
    assert_eq!(arrivals(&spec), vec![0]);
    assert_eq!(spec.request_count(), Some(1));
    spec.requests = Some(1);
    assert_eq!(spec.request_count(), Some(1));
    // random pattern with a duration: count unknown up front
    let mut spec = open(ArrivalPattern::Poisson { rps: 100.0 }, Some(10));
    assert_eq!(spec.request_count(), Some(10));
    spec.duration_s = Some(60.0);
    assert_eq!(spec.request_count(), None);
    spec.requests = None;
    let times = arrivals(&spec);
    assert!(times.iter().all(|&t| t <= 60_000_000_000));
    assert!((times.len() as f64 - 6000.0).abs() < 400.0);
    // next_shape on an open-loop spec respects the cap
    let spec = open(ArrivalPattern::Poisson { rps: 100.0 }, Some(3));
    assert_eq!(spec.generator().unwrap().count_shapes(), 3);
}

#[test]
fn deterministic_and_streams_independent() {
    let mk = |seed: u64, isl: LengthDist| {
        let mut s = open(ArrivalPattern::Gamma { rps: 5.0, cv: 1.5 }, Some(2_000));
        s.seed = seed;
        s.lengths = LengthModel::Dist {
            isl,
            osl: LengthDist::Lognormal {
                mean: 200.0,
                std: 100.0,
            },
        };
        let mut g = s.generator().unwrap();
        std::iter::from_fn(|| g.next_arrival()).collect::<Vec<_>>()
    };
    let uni = LengthDist::Uniform { min: 10, max: 5000 };
    let a = mk(42, uni.clone());
    assert_eq!(a, mk(42, uni.clone()), "same seed ⇒ same sequence");
    let b = mk(43, uni.clone());
    assert_ne!(a, b);
    // changing the ISL distribution changes neither the arrivals nor the OSL draws
    let c = mk(42, LengthDist::Fixed(100));
    assert!(a.iter().zip(&c).all(|(x, y)| x.0 == y.0 && x.1.osl == y.1.osl));
    assert!(a.iter().zip(&c).any(|(x, y)| x.1.isl != y.1.isl));
    // changing the arrival process does not change the lengths
    let mut s = open(ArrivalPattern::Poisson { rps: 1000.0 }, Some(2_000));
    s.seed = 42;
    s.lengths = LengthModel::Dist {
        isl: uni,
        osl: LengthDist::Lognormal {
            mean: 200.0,
            std: 100.0,
        },
    };
    let mut g = s.generator().unwrap();
    let d: Vec<_> = std::iter::from_fn(|| g.next_arrival()).collect();
    assert!(a.iter().zip(&d).all(|(x, y)| x.1 == y.1));
    assert!(a.iter().zip(&d).any(|(x, y)| x.0 != y.0));
    // the sinusoid and piecewise generators are deterministic too
    for p in [
        ArrivalPattern::parse_sinusoid("5:45:60").unwrap(),
        ArrivalPattern::Piecewise {
            steps: vec![(0.0, 3.0), (10.0, 30.0)],
        },
    ] {
        let s = open(p, Some(500));
        assert_eq!(arrivals(&s), arrivals(&s));
    }
}

#[test]
fn bad_specs_name_the_flag() {
    let good = open(ArrivalPattern::Poisson { rps: 1.0 }, Some(10));
    good.validate().unwrap();
    let with = |f: &dyn Fn(&mut WorkloadSpec)| {
        let mut s = good.clone();
        f(&mut s);
        err(&s)
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (
            with(&|s| s.load = LoadSpec::Concurrency(0)),
            "--concurrency",
            "at least 1",
        ),
        (
            with(&|s| s.load = LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps: 0.0 })),
            "--rps",
            "> 0",
        ),
        (
            with(&|s| s.load = LoadSpec::OpenLoop(ArrivalPattern::Constant { rps: -2.0 })),
            "--rps",
            "> 0",
        ),
        (
            with(&|s| s.load = LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps: f64::NAN })),
            "--rps",
            "NaN",
        ),
        (
            with(&|s| s.load = LoadSpec::OpenLoop(ArrivalPattern::Gamma { rps: 1.0, cv: 0.0 })),
            "--cv",
            "> 0",
        ),
        (
            with(&|s| {
                s.load = LoadSpec::OpenLoop(ArrivalPattern::Sinusoid {
                    min_rps: 5.0,
                    max_rps: 1.0,
                    period_s: 10.0,
                })
            }),
            "--sinusoid",
            "MAX must be ≥ MIN",
        ),
        (
            with(&|s| {
                s.load = LoadSpec::OpenLoop(ArrivalPattern::Piecewise {
                    steps: vec![(1.0, 1.0)],
                })
            }),
            "--rate-file",
            "start at 0",
        ),
        (with(&|s| s.requests = Some(0)), "--requests", "at least 1"),
        (with(&|s| s.requests = None), "--requests", "--duration"),
        (with(&|s| s.duration_s = Some(0.0)), "--duration", "> 0"),
        (with(&|s| s.duration_s = Some(f64::INFINITY)), "--duration", "finite"),
        (with(&|s| s.trace_rate_scale = 0.0), "--trace-rate-scale", "> 0"),
        (with(&|s| s.trace_rate_scale = f64::NAN), "--trace-rate-scale", "> 0"),
        (
            with(&|s| s.lengths = LengthModel::fixed(10, 0)),
            "--osl",
            "must be ≥ 1, got 0",
        ),
        (with(&|s| s.lengths = LengthModel::fixed(0, 10)), "--isl", "must be ≥ 1"),
        (
            with(&|s| {
                s.lengths = LengthModel::Dist {
                    isl: LengthDist::Uniform { min: 5, max: 1 },
                    osl: LengthDist::Fixed(1),
                }
            }),
            "--isl",
            "MAX must be ≥ MIN",
        ),
        (with(&|s| s.lengths = LengthModel::Trace), "--trace", "need a trace"),
        (
            with(&|s| s.load = LoadSpec::OpenLoop(ArrivalPattern::Trace)),
            "--trace",
            "needs a trace",
        ),
        (
            with(&|s| {
                s.load = LoadSpec::OpenLoop(ArrivalPattern::Trace);
                s.trace = Some(Arc::new(Trace {
                    source: "lens.csv".into(),
                    prefix: None,
                    rows: vec![TraceRow {
                        arrived_at_s: None,
                        isl: 1,
                        osl: 1,
                    }],
                }));
            }),
            "--trace",
            "lens.csv has no `arrived_at` column",
        ),
        (
            with(&|s| {
                s.load = LoadSpec::OpenLoop(ArrivalPattern::Trace);
                s.trace = Some(trace_of(&[3.0, 3.0], &[(1, 1), (1, 1)]));
                s.requests = Some(3);
            }),
            "--requests",
            "cannot be repeated",
        ),
        (
            with(&|s| {
                s.load = LoadSpec::OpenLoop(ArrivalPattern::Trace);
                s.trace = Some(trace_of(&[3.0], &[(1, 1)]));
                s.requests = None;
                s.duration_s = Some(10.0);
            }),
            "--duration",
            "cannot be repeated",
        ),
        (
            with(&|s| {
                s.load = LoadSpec::Concurrency(2);
                s.requests = None;
            }),
            "--requests",
            "closed-loop",
        ),
        (
            with(&|s| s.trace = Some(trace_of(&[1.0, 0.0], &[(1, 1), (1, 1)]))),
            "test-trace: `arrived_at`",
            "row 2",
        ),
        (
            with(&|s| s.trace = Some(trace_of(&[0.0], &[(1, 0)]))),
            "test-trace: `num_decode_tokens`",
            "OSL",
        ),
    ];
    for (msg, flag, want) in cases {
        assert!(msg.starts_with(flag), "expected {flag}: {msg}");
        assert!(msg.contains(want), "expected \"{want}\" in: {msg}");
    }
    // valid edge cases
    let mut s = good.clone();
    s.lengths = LengthModel::fixed(1, 1);
    s.validate().unwrap();
    s.requests = None;
    s.duration_s = Some(1.0);
    s.validate().unwrap();
    let s = open(ArrivalPattern::Trace, Some(2));
    let mut s = s;
    s.trace = Some(trace_of(&[3.0, 3.0], &[(1, 1), (1, 1)]));
    assert_eq!(arrivals(&s), vec![0, 0]);
}

#[test]
fn poisson_generator_speed() {
    let spec = open(ArrivalPattern::Poisson { rps: 1000.0 }, Some(1_000_000));
    let mut g = spec.generator().unwrap();
    let start = std::time::Instant::now();
    let mut last = 0u64;
    let mut sum_isl = 0u64;
    while let Some((t, s)) = g.next_arrival() {
        last = t;
        sum_isl += s.isl as u64;
    }
    let elapsed = start.elapsed();
    println!(
        "1M Poisson arrivals (fixed lengths): {:.1} ms ({:.1} ns/request)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e9 / 1e6
    );
    assert_eq!(sum_isl, 2048 * 1_000_000);
    assert!((last as f64 * 1e-9 - 1000.0).abs() < 5.0);
    let limit = if cfg!(debug_assertions) { 10.0 } else { 1.0 };
    assert!(elapsed.as_secs_f64() < limit, "{elapsed:?}");

    // random lengths too
    let mut spec = spec;
    spec.lengths = LengthModel::Dist {
        isl: LengthDist::Lognormal {
            mean: 2048.0,
            std: 512.0,
        },
        osl: LengthDist::Uniform { min: 1, max: 512 },
    };
    let mut g = spec.generator().unwrap();
    let start = std::time::Instant::now();
    let n = std::iter::from_fn(|| g.next_arrival()).count();
    let elapsed = start.elapsed();
    println!(
        "1M Poisson arrivals (lognormal ISL, uniform OSL): {:.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
    assert_eq!(n, 1_000_000);
    assert!(elapsed.as_secs_f64() < limit, "{elapsed:?}");
}
