//! Tests of the study figures: rendering of synthetic, empty, NaN and real studies, the
//! log-zero axis, label placement and name splitting.

use super::layout::{place_labels, LogZeroAxis, Rect};
use super::levels::dodge;
use super::regret::{name_lines, shorten};
use super::*;
use crate::methods::study::{Aggregate, Criteria, LevelCompare, MethodReport, RunReport, StudyResults, TestbedReport};
use crate::methods::testbed::{CostModel, LevelValues, NoiseModel};
use crate::methods::Basis;
use std::collections::BTreeMap;

fn spread(v: &[f64]) -> Spread {
    Spread::of(v)
}

fn run(seed: u64, chosen: &str, gpu_h: f64, regret: f64, mape: f64, scale: f64) -> RunReport {
    let levels = [("idle", 1), ("medium", 4), ("saturation", 7), ("overload", 9)]
        .iter()
        .enumerate()
        .map(|(k, (name, c))| {
            let k = k as f64;
            let actual = LevelValues {
                ttft_p50_ms: 150.0 * (1.0 + k.powi(3)),
                itl_p50_ms: 20.0 + 6.0 * k,
                sla_hit_rate: 1.0 - 0.2 * k,
            };
            let predicted = LevelValues {
                ttft_p50_ms: actual.ttft_p50_ms * scale,
                itl_p50_ms: if k == 3.0 { f64::NAN } else { actual.itl_p50_ms * scale },
                sla_hit_rate: actual.sla_hit_rate,
            };
            LevelCompare {
                name: name.to_string(),
                concurrency: *c,
                predicted,
                actual,
                ttft_error_pct: crate::methods::error_pct(predicted.ttft_p50_ms, actual.ttft_p50_ms),
                itl_error_pct: crate::methods::error_pct(predicted.itl_p50_ms, actual.itl_p50_ms),
            }
        })
        .collect();
    RunReport {
        seed,
        chosen: chosen.into(),
        basis: Basis::Measured,
        deployed: vec![],
        deployments: 0,
        static_estimates: 0,
        oracle_calls: 0,
        hours: gpu_h / 8.0,
        gpu_hours: gpu_h,
        goodput_per_gpu: 1.0,
        predicted_goodput_per_gpu: 1.0,
        best_config: "p2d4".into(),
        best_goodput_per_gpu: 1.1,
        regret_pct: regret,
        levels,
        mape_medium_pct: mape,
        mape_all_pct: mape,
    }
}

fn method(name: &str, baseline: bool, runs: Vec<RunReport>) -> MethodReport {
    let f = |g: fn(&RunReport) -> f64| spread(&runs.iter().map(g).collect::<Vec<_>>());
    MethodReport {
        name: name.into(),
        baseline,
        aggregate: Aggregate {
            deployments: f(|r| r.deployments as f64),
            hours: f(|r| r.hours),
            gpu_hours: f(|r| r.gpu_hours),
            regret_pct: f(|r| r.regret_pct),
            mape_medium_pct: f(|r| r.mape_medium_pct),
            mape_all_pct: f(|r| r.mape_all_pct),
            picks: BTreeMap::new(),
        },
        runs,
        criteria: None,
    }
}

fn results(methods: Vec<MethodReport>) -> StudyResults {
    StudyResults {
        mode: "testbed",
        seeds: 2,
        testbed: TestbedReport {
            profile: "test".into(),
            model: "org/Model-70B".into(),
            gpu: "h100_sxm".into(),
            backend: "vllm".into(),
            isl: 2048,
            osl: 256,
            ttft_ms: 500.0,
            itl_ms: 50.0,
            quantile: 0.9,
            realistic_load: "sinusoid 1–9 req/s, period 300 s".into(),
            realistic_s: 300.0,
            noise: NoiseModel::default(),
            cost: CostModel::default(),
            configs: vec![],
            best_config: "p2d4".into(),
        },
        criteria: Criteria::default(),
        methods,
        recommendation: vec![],
    }
}

/// Six methods like the default study, one with a NaN MAPE and clustered costs.
fn synthetic() -> StudyResults {
    results(vec![
        method(
            "aic-all",
            true,
            vec![
                run(0, "p1d8", 0.0, 22.0, 35.0, 0.6),
                run(1, "p1d8", 0.0, 25.0, 38.0, 0.6),
            ],
        ),
        method(
            "online-all",
            true,
            vec![
                run(0, "p2d4", 120.0, 0.0, 4.0, 1.04),
                run(1, "p2d4", 120.0, 0.0, 5.0, 1.04),
            ],
        ),
        method(
            "stack-rank --top 1",
            false,
            vec![run(0, "p2d4", 6.0, 0.0, 4.5, 1.05), run(1, "p2d8", 9.0, 4.0, 6.0, 1.05)],
        ),
        method(
            "bayes --budget 4",
            false,
            vec![
                run(0, "p2d4", 30.0, 0.0, 4.2, 0.97),
                run(1, "p4d4", 34.0, 8.0, 5.5, 0.97),
            ],
        ),
        method(
            "stack-rank+bayes --budget 4",
            false,
            vec![
                run(0, "p2d4", 31.0, 0.0, 4.4, 1.02),
                run(1, "p2d4", 33.0, 0.0, 5.1, 1.02),
            ],
        ),
        method(
            "random --budget 4",
            false,
            vec![
                run(0, "p4d8", 40.0, 12.0, f64::NAN, 1.1),
                run(1, "p1d2", 20.0, 30.0, 7.0, 1.1),
            ],
        ),
    ])
}

fn check_outputs(dir: &Path) {
    for stem in ["cost_vs_error", "regret", "predicted_vs_actual"] {
        let png = std::fs::read(dir.join(format!("{stem}.png"))).expect("png written");
        assert!(png.len() > 1000, "{stem}.png too small");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{stem}.png signature");
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).expect("svg written");
        assert!(svg.contains("<svg"), "{stem}.svg");
    }
}

#[test]
fn study_plot_synthetic_writes_six_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = synthetic();
    plot_all(&r, dir.path()).expect("plots");
    check_outputs(dir.path());
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        6,
        "exactly six files"
    );
    let cost = std::fs::read_to_string(dir.path().join("cost_vs_error.svg")).expect("svg");
    // the NaN-MAPE method is skipped and said so; the zero slot is labelled
    assert!(cost.contains("not shown (no finite value): random --budget 4"));
    assert!(cost.contains("\n0\n</text>"), "zero slot label");
    let regret = std::fs::read_to_string(dir.path().join("regret.svg")).expect("svg");
    assert!(regret.contains("success &lt; 10 %") || regret.contains("success < 10 %"));
    assert!(regret.contains("stack-rank+bayes") && regret.contains("(baseline)"));
    let pva = std::fs::read_to_string(dir.path().join("predicted_vs_actual.svg")).expect("svg");
    assert!(pva.contains("stack-rank --top 1 (p2d4)"));
    assert!(pva.contains("seed 0"));
}

#[test]
fn study_plot_empty_and_nan_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    plot_all(&results(vec![]), dir.path()).expect("empty study plots");
    check_outputs(dir.path());
    let svg = std::fs::read_to_string(dir.path().join("regret.svg")).expect("svg");
    assert!(svg.contains("no methods in this study"));
    // every value NaN, one seed, a method without runs
    let dir = tempfile::tempdir().expect("tempdir");
    let mut m = method("x", false, vec![run(0, "p1d1", f64::NAN, f64::NAN, f64::NAN, f64::NAN)]);
    m.aggregate.regret_pct = Spread {
        mean: f64::NAN,
        sd: f64::NAN,
        min: f64::NAN,
        max: f64::NAN,
    };
    plot_all(&results(vec![m, method("none", true, vec![])]), dir.path()).expect("NaN study plots");
    check_outputs(dir.path());
}

#[test]
fn study_plot_real_testbed() {
    use crate::methods::testbed::TestbedSpec;
    use crate::methods::MethodParams;
    use crate::metrics::Sla;
    use crate::workload::ArrivalPattern;
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = crate::methods::study::StudyOptions {
        testbed: TestbedSpec {
            profile: "llama-3.3-70b-fp8/h100/vllm".into(),
            tps: None,
            modes: vec![crate::sim::deployment::Mode::Disagg, crate::sim::deployment::Mode::Agg],
            isl: 2048,
            osl: 256,
            sla: Sla {
                ttft_ms: 500.0,
                itl_ms: 50.0,
            },
            quantile: 0.9,
            realistic: ArrivalPattern::Sinusoid {
                min_rps: 1.0,
                max_rps: 9.0,
                period_s: 300.0,
            },
            realistic_s: 300.0,
            max_bs: None,
            level_requests: 100,
            noise: NoiseModel::default(),
            cost: CostModel::default(),
        },
        methods: "aic-all,online-all,stack-rank,bayes,stack-rank+bayes,random".into(),
        params: MethodParams { top: 1, budget: 4 },
        seeds: 2,
        out: dir.path().to_path_buf(),
        plots: false,
        criteria: Criteria::default(),
    };
    let r = crate::methods::study::study(&opts).expect("study");
    plot_all(&r, dir.path()).expect("plots");
    check_outputs(dir.path());
}

#[test]
fn log_zero_axis() {
    let a = LogZeroAxis::of(&[0.0, 6.0, 120.0, 150.0]);
    assert!(a.zero);
    assert!(a.lo < 6f64.log10() && a.hi > 150f64.log10() && a.hi < 2.5);
    assert_eq!(a.label(a.zero_u()), "0");
    assert_eq!(a.label(2.0), "100");
    assert_eq!(a.label(1.5), "");
    assert_eq!(a.u(0.0), a.zero_u());
    assert_eq!(a.u_end(0.0), a.break_u());
    assert_eq!(a.u_end(0.01), a.break_u());
    assert!((a.u(100.0) - 2.0).abs() < 1e-12);
    let labels: Vec<String> = a.bold().iter().map(|u| a.label(*u)).collect();
    assert_eq!(labels, vec!["0", "5", "10", "20", "50", "100", "200"]);
    let wide = LogZeroAxis::of(&[0.5, 2000.0]);
    let labels: Vec<String> = wide.bold().iter().map(|u| wide.label(*u)).collect();
    assert_eq!(labels, vec!["1", "10", "100", "1000"]);
    assert!(a.range().start < a.zero_u() && a.range().end == a.hi);
    // a narrow range is widened to a decade and labelled at 1, 2, 5 ×
    let b = LogZeroAxis::of(&[0.5, f64::NAN]);
    assert!(!b.zero && (b.hi - b.lo - 1.0).abs() < 1e-12);
    let labels: Vec<String> = b.bold().iter().map(|u| b.label(*u)).collect();
    assert!(labels.len() >= 2 && labels.contains(&"0.5".to_string()), "{labels:?}");
    assert!(b.light().iter().all(|u| *u >= b.lo && *u <= b.hi));
    let c = LogZeroAxis::of(&[]);
    assert!(c.zero && c.lo < c.hi);
}

#[test]
fn labels_do_not_overlap() {
    // five points in a tight cluster, labels 120 × 20 px
    let anchors = [(300, 300), (305, 302), (310, 298), (300, 310), (295, 295)];
    let sizes = [(120, 20); 5];
    let bounds = Rect {
        x0: 0,
        y0: 0,
        x1: 800,
        y1: 600,
    };
    let markers: Vec<Rect> = anchors.iter().map(|&a| Rect::around(a, 9)).collect();
    let placed = place_labels(&anchors, &sizes, bounds, &markers, &[]);
    for (i, (a, _)) in placed.iter().enumerate() {
        assert_eq!(a.outside(&bounds), 0);
        for (b, _) in &placed[i + 1..] {
            assert_eq!(a.overlap(b), 0, "{a:?} {b:?}");
        }
    }
    // near the right edge the label goes left
    let p = place_labels(&[(790, 300)], &[(120, 20)], bounds, &[], &[]);
    assert!(p[0].0.x1 <= 790);
}

#[test]
fn name_lines_split() {
    assert_eq!(name_lines("stack-rank --top 1", false), vec!["stack-rank", "--top 1"]);
    assert_eq!(name_lines("aic-all", true), vec!["aic-all", "(baseline)"]);
    assert_eq!(shorten("stack-rank+bayes", 6), "stack…");
    assert_eq!(shorten("abc", 6), "abc");
    assert!(dodge(0, 1) == 0.0 && dodge(0, 6) < 0.0 && dodge(5, 6) > 0.0);
}
