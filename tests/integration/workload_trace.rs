//! The real Vidur/Splitwise traces load and replay: the copies shipped (embedded) in slasim
//! (`traces/`), the first 1000 rows of Vidur's lengths-only arXiv trace
//! (`tests/fixtures/vidur/`), and, when `../shared/data/vidur` is there, the originals they
//! were copied from (skipped with a message otherwise).

use crate::util;
use slasim::workload::{
    resolve_trace, shipped_trace, shipped_trace_bytes, ArrivalPattern, LengthModel, LoadSpec, RequestShape, Trace,
    WorkloadSpec,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn repo_file(rel: &str) -> PathBuf {
    util::repo().join(rel)
}

fn load(p: &Path) -> Trace {
    Trace::load(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn shipped_splitwise_traces_load_by_name_and_path() {
    for (name, rows, max_isl, max_osl) in [
        ("splitwise_conv", 19_366, 14_050, 1_000),
        ("splitwise_code", 8_819, 7_437, 1_899),
    ] {
        let path = repo_file(&format!("traces/{name}.csv"));
        let shared = load(&path);
        assert_eq!(shared.rows.len(), rows, "{name}");
        assert!(shared.has_arrivals(), "{name}");
        assert_eq!(shared.rows.iter().map(|r| r.isl).max(), Some(max_isl), "{name}");
        assert_eq!(shared.rows.iter().map(|r| r.osl).max(), Some(max_osl), "{name}");
        assert!(shared.rows.iter().all(|r| r.isl >= 1 && r.osl >= 1), "{name}");

        let shipped = shipped_trace(name)
            .expect("shipped name")
            .expect("shipped trace parses");
        assert_eq!(shipped.rows, shared.rows, "{name}: embedded copy differs from traces/");
        // byte-for-byte, too
        let bytes = std::fs::read(&path).expect("read shipped trace");
        assert_eq!(shipped_trace_bytes(name), Some(bytes.as_slice()), "{name}");
        // --trace accepts both the name and the path
        assert_eq!(resolve_trace(name).expect("by name").rows, shared.rows);
        assert_eq!(
            resolve_trace(&path.to_string_lossy()).expect("by path").rows,
            shared.rows
        );
    }
}

/// The shipped traces are byte copies of Vidur's files, and the arXiv fixture is their first
/// 1000 rows (needs `../shared/data`; skipped with a message without it).
#[test]
fn shipped_traces_are_copies_of_the_vidur_originals() {
    let Some(shared) = util::shared_data() else {
        return;
    };
    let dir = shared.join("vidur/processed_traces");
    for name in ["splitwise_conv", "splitwise_code"] {
        let original = std::fs::read(dir.join(format!("{name}.csv"))).expect("read original trace");
        assert_eq!(shipped_trace_bytes(name), Some(original.as_slice()), "{name}");
    }
    let original = std::fs::read_to_string(dir.join(ARXIV_ORIGINAL)).expect("read original arXiv trace");
    let head: String = original.split_inclusive('\n').take(1001).collect();
    let copy = std::fs::read_to_string(repo_file(ARXIV)).expect("read arXiv fixture");
    assert_eq!(copy, head, "{ARXIV} is not the first 1000 rows of {ARXIV_ORIGINAL}");
}

/// The first 1000 rows (and header) of Vidur's lengths-only arXiv summarization trace.
const ARXIV: &str = "tests/fixtures/vidur/processed_traces/arxiv_summarization_first1000.csv";
/// Its original file name in Vidur's `data/processed_traces/`.
const ARXIV_ORIGINAL: &str = "arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv";

#[test]
fn lengths_only_trace_has_no_arrivals() {
    let t = load(&repo_file(ARXIV));
    assert_eq!(t.rows.len(), 1_000);
    assert!(!t.has_arrivals());
    assert!(t.rows.iter().all(|r| r.arrived_at_s.is_none()));
    assert_eq!(t.rows[0].isl, 3772);
    assert_eq!(t.rows[0].osl, 54);
    assert!(t.rows.iter().all(|r| r.isl + r.osl <= 4096));

    // usable for lengths (closed loop, one pass by default) but not for arrival replay
    let t = Arc::new(t);
    let mut spec = WorkloadSpec::new(LoadSpec::Concurrency(8), LengthModel::Trace, None, 1);
    spec.trace = Some(Arc::clone(&t));
    assert_eq!(spec.request_count(), Some(1_000));
    let mut g = spec.generator().expect("closed loop over trace lengths");
    assert_eq!(g.next_shape(), Some(RequestShape::new(3772, 54)));

    let mut replay = WorkloadSpec::new(LoadSpec::OpenLoop(ArrivalPattern::Trace), LengthModel::Trace, None, 1);
    replay.trace = Some(t);
    let e = replay.validate().expect_err("no arrived_at").to_string();
    assert!(
        e.starts_with("--trace: ") && e.contains("no `arrived_at` column"),
        "{e}"
    );
}

#[test]
fn shipped_trace_replays_in_order() {
    let t = Arc::new(load(&repo_file("traces/splitwise_conv.csv")));
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
        assert_eq!(shape, RequestShape::new(row.isl, row.osl));
        prev = ns;
        n += 1;
    }
    assert_eq!(n, 19_366);
}
