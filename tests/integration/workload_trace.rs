//! The real Vidur/Splitwise traces in `../shared/data/vidur/processed_traces/` load, match the
//! copies shipped (embedded) in slasim, and replay.

use slasim::workload::{
    resolve_trace, shipped_trace, shipped_trace_bytes, ArrivalPattern, LengthModel, LoadSpec, RequestShape, Trace,
    WorkloadSpec,
};
use std::path::PathBuf;
use std::sync::Arc;

fn vidur(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/vidur/processed_traces")
        .join(file)
}

fn load(file: &str) -> Trace {
    let p = vidur(file);
    Trace::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn shared_splitwise_traces_equal_the_shipped_copies() {
    for (name, rows, max_isl, max_osl) in [
        ("splitwise_conv", 19_366, 14_050, 1_000),
        ("splitwise_code", 8_819, 7_437, 1_899),
    ] {
        let file = format!("{name}.csv");
        let shared = load(&file);
        assert_eq!(shared.rows.len(), rows, "{name}");
        assert!(shared.has_arrivals(), "{name}");
        assert_eq!(shared.rows.iter().map(|r| r.isl).max(), Some(max_isl), "{name}");
        assert_eq!(shared.rows.iter().map(|r| r.osl).max(), Some(max_osl), "{name}");
        assert!(shared.rows.iter().all(|r| r.isl >= 1 && r.osl >= 1), "{name}");

        let shipped = shipped_trace(name)
            .expect("shipped name")
            .expect("shipped trace parses");
        assert_eq!(
            shipped.rows, shared.rows,
            "{name}: shipped copy differs from the shared data"
        );
        // byte-for-byte, too
        let bytes = std::fs::read(vidur(&file)).expect("read shared trace");
        assert_eq!(shipped_trace_bytes(name), Some(bytes.as_slice()), "{name}");
        // --trace accepts both the name and the path
        assert_eq!(resolve_trace(name).expect("by name").rows, shared.rows);
        let by_path = vidur(&file);
        assert_eq!(
            resolve_trace(&by_path.to_string_lossy()).expect("by path").rows,
            shared.rows
        );
    }
}

#[test]
fn lengths_only_trace_has_no_arrivals() {
    let t = load("arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv");
    assert_eq!(t.rows.len(), 28_257);
    assert!(!t.has_arrivals());
    assert!(t.rows.iter().all(|r| r.arrived_at_s.is_none()));
    assert_eq!(t.rows[0].isl, 3772);
    assert_eq!(t.rows[0].osl, 54);
    assert!(t.rows.iter().all(|r| r.isl + r.osl <= 4096));

    // usable for lengths (closed loop, one pass by default) but not for arrival replay
    let t = Arc::new(t);
    let mut spec = WorkloadSpec::new(LoadSpec::Concurrency(8), LengthModel::Trace, None, 1);
    spec.trace = Some(Arc::clone(&t));
    assert_eq!(spec.request_count(), Some(28_257));
    let mut g = spec.generator().expect("closed loop over trace lengths");
    assert_eq!(g.next_shape(), Some(RequestShape { isl: 3772, osl: 54 }));

    let mut replay = WorkloadSpec::new(LoadSpec::OpenLoop(ArrivalPattern::Trace), LengthModel::Trace, None, 1);
    replay.trace = Some(t);
    let e = replay.validate().expect_err("no arrived_at").to_string();
    assert!(
        e.starts_with("--trace: ") && e.contains("no `arrived_at` column"),
        "{e}"
    );
}

#[test]
fn shared_trace_replays_in_order() {
    let t = Arc::new(load("splitwise_conv.csv"));
    let mut spec = WorkloadSpec::new(LoadSpec::OpenLoop(ArrivalPattern::Trace), LengthModel::Trace, None, 7);
    spec.trace = Some(Arc::clone(&t));
    spec.trace_rate_scale = 2.0;
    let mut g = spec.generator().expect("valid replay");
    let mut n = 0;
    let mut prev = 0;
    while let Some((ns, shape)) = g.next_arrival() {
        let row = &t.rows[n];
        let want = row.arrived_at_s.unwrap_or(f64::NAN) / 2.0 * 1e9;
        assert!((ns as f64 - want).abs() <= 1.0, "row {n}: {ns} vs {want}");
        assert!(ns >= prev);
        assert_eq!(
            shape,
            RequestShape {
                isl: row.isl,
                osl: row.osl
            }
        );
        prev = ns;
        n += 1;
    }
    assert_eq!(n, 19_366);
}
