//! Workloads that carry prefix identity: the shipped Mooncake traces (`traces/*.jsonl`, with
//! prefix block ids; compared with their originals when the project's shared data is there,
//! skipped with a message otherwise), bad JSONL through the binary, the engine blocks
//! ([`BlockHashes`]) those ids and the shared-prefix and session workloads give, and the flags.

use crate::util;
use slasim::workload::content::{BlockHashes, Content, ContentRef};
use slasim::workload::{
    resolve_trace, shipped_trace, shipped_trace_bytes, DelayDist, LengthDist, LengthModel, LoadSpec, RequestShape,
    SessionSpec, SharedPrefixSpec, Trace, WorkloadSpec,
};
use std::sync::Arc;
use std::time::Instant;

const MOONCAKE: [(&str, &str, usize); 2] = [
    ("mooncake_conversation", "conversation_trace.jsonl", 12_031),
    ("mooncake_synthetic", "synthetic_trace.jsonl", 3_993),
];

fn row_content(t: &Trace, row: usize) -> ContentRef {
    ContentRef {
        content: Content::TraceRow { row: row as u32 },
        covered_tokens: t.rows[row].isl,
    }
}

#[test]
fn shipped_mooncake_traces_load_by_name_and_path() {
    // counts and means of traces/SOURCE.md (avg input 12,035 / output 343 and 15,325 / 149)
    for ((name, _, rows), (isl, osl)) in MOONCAKE.iter().zip([(12_035.06, 342.62), (15_325.48, 149.12)]) {
        let path = util::repo().join(format!("traces/{name}.jsonl"));
        let bytes = std::fs::read(&path).expect("read shipped trace");
        assert_eq!(
            shipped_trace_bytes(name),
            Some(bytes.as_slice()),
            "{name}: embedded copy differs"
        );
        let t0 = Instant::now();
        let t = shipped_trace(name).expect("shipped name").expect("parses");
        eprintln!(
            "{name}: parsed {} bytes in {:.1} ms",
            bytes.len(),
            t0.elapsed().as_secs_f64() * 1e3
        );
        assert_eq!(t.rows.len(), *rows, "{name}");
        let (mi, mo) = t.mean_lengths();
        assert!(
            (mi - isl).abs() < 0.01 && (mo - osl).abs() < 0.01,
            "{name}: {mi} / {mo}"
        );
        assert!(t.has_arrivals());
        assert_eq!(t.rows[0].arrived_at_s, Some(0.0));
        assert_eq!(t.block_tokens(), 512);
        // by path, as a file
        let by_path = resolve_trace(&path.to_string_lossy()).expect("by path");
        assert_eq!(by_path.rows, t.rows);
        assert_eq!(by_path.prefix, t.prefix);
        // replayed on its timestamps (ms → s), with the row as content
        let mut spec = WorkloadSpec::new(
            LoadSpec::OpenLoop(slasim::workload::ArrivalPattern::Trace),
            LengthModel::Trace,
            None,
            1,
        );
        spec.trace = Some(Arc::new(t.clone()));
        spec.trace_rate_scale = 2.0;
        assert_eq!(spec.request_count(), Some(*rows as u64));
        let mut g = spec.generator().expect("valid replay");
        for (i, r) in t.rows.iter().enumerate().take(500) {
            let (ns, shape) = g.next_arrival().expect("a row");
            let want = r.arrived_at_s.unwrap_or(f64::NAN) / 2.0 * 1e9;
            assert!((ns as f64 - want).abs() <= 1.0, "row {i}");
            assert_eq!(shape.content, Some(row_content(&t, i)));
        }
    }
    // the conversation trace spans its hour at ≈ 3.4 req/s
    let conv = shipped_trace("mooncake_conversation").unwrap().unwrap();
    assert_eq!(conv.span_s(), Some(3_536.999));
    assert!((conv.mean_rate_rps().unwrap_or(0.0) - 3.401).abs() < 0.001);
}

/// The shipped copies are the Mooncake originals, byte for byte (needs the project's shared data;
/// skipped with a message without it).
#[test]
fn shipped_mooncake_traces_are_copies_of_the_originals() {
    let Some(shared) = util::shared_data() else {
        return;
    };
    for (name, original, _) in MOONCAKE {
        let bytes = std::fs::read(shared.join("mooncake").join(original)).expect("read original");
        assert_eq!(shipped_trace_bytes(name), Some(bytes.as_slice()), "{name}");
    }
}

#[test]
fn mooncake_rows_give_engine_blocks_shared_as_far_as_their_ids() {
    let t = shipped_trace("mooncake_conversation").unwrap().unwrap();
    let blocks = |row: usize| -> Vec<u64> { BlockHashes::new(row_content(&t, row), 16, Some(&t)).collect() };
    for row in [0, 1, 2, 100, 12_030] {
        assert_eq!(
            blocks(row).len() as u32,
            t.rows[row].isl / 16,
            "row {row}: ⌊isl / 16⌋ blocks"
        );
    }
    // pairs of rows sharing their first k ids (k ≥ 1) but not k + 1: they share exactly the
    // engine blocks that end within the first k · 512 tokens
    let mut checked = 0;
    let first = t.block_ids(0).unwrap_or(&[]).to_vec();
    for row in 1..400 {
        let ids = t.block_ids(row).unwrap_or(&[]);
        let k = first.iter().zip(ids).take_while(|(a, b)| a == b).count();
        if k == 0 || k >= first.len().min(ids.len()) {
            continue;
        }
        let (a, b) = (blocks(0), blocks(row));
        let shared = k * 512 / 16; // engine blocks ending within k · 512 tokens
        assert_eq!(a[..shared], b[..shared], "row {row}: k = {k}");
        assert_ne!(
            a[shared], b[shared],
            "row {row}: block {shared} ends past the shared ids"
        );
        assert!(a[shared..].iter().zip(&b[shared..]).all(|(x, y)| x != y));
        checked += 1;
    }
    assert!(checked > 10, "only {checked} pairs");
    // a block that straddles a trace-block boundary depends on both trace blocks (block size 48:
    // block 10 covers tokens 480..528)
    let c = row_content(&t, 0);
    let a: Vec<u64> = BlockHashes::new(c, 48, Some(&t)).collect();
    let other = (1..400)
        .find(|&r| {
            let ids = t.block_ids(r).unwrap_or(&[]);
            ids.len() > 2 && ids[0] == first[0] && ids[1] != first[1]
        })
        .expect("a row sharing only the first id");
    let b: Vec<u64> = BlockHashes::new(row_content(&t, other), 48, Some(&t)).collect();
    assert_eq!(a[..10], b[..10]);
    assert_ne!(a[10], b[10]);
}

#[test]
fn a_smaller_block_size_changes_what_the_ids_cover() {
    let mut t = shipped_trace("mooncake_synthetic").unwrap().unwrap();
    let full = BlockHashes::new(row_content(&t, 0), 16, Some(&t)).len();
    assert_eq!(full, t.rows[0].isl / 16);
    // at 256 tokens per id the same ids describe half as many tokens
    let t256 = slasim::workload::resolve_trace_with("mooncake_synthetic", 256).unwrap();
    let ids = t256.block_ids(0).map_or(0, <[u64]>::len) as u32;
    let half = BlockHashes::new(row_content(&t256, 0), 16, Some(&t256)).len();
    assert_eq!(half, (ids * 256).min(t256.rows[0].isl) / 16);
    // a trace changed in code is checked against its block size: a larger block allows fewer ids
    t.prefix.as_mut().unwrap().block_tokens = 64;
    t.check().unwrap();
    t.prefix.as_mut().unwrap().block_tokens = 1_000_000;
    let e = t.check().unwrap_err().to_string();
    assert!(e.contains("`hash_ids`: row ") && e.contains("more than ⌈"), "{e}");
}

#[test]
fn shared_prefix_requests_share_the_blocks_within_their_group_prompt() {
    let spec = WorkloadSpec::new(
        LoadSpec::OpenLoop(slasim::workload::ArrivalPattern::Poisson { rps: 10.0 }),
        LengthModel::Dist {
            isl: LengthDist::parse("--isl", "uniform:100:300").unwrap(),
            osl: LengthDist::Fixed(10),
        },
        Some(400),
        5,
    )
    .with_shared_prefix(SharedPrefixSpec {
        groups: 5,
        prefix_len: LengthDist::parse("--prefix-len", "lognormal:2000:500").unwrap(),
    });
    let mut g = spec.generator().unwrap();
    let mut groups: std::collections::HashMap<u32, (u32, Vec<u64>)> = Default::default();
    let mut n = 0;
    while let Some((_, r)) = g.next_arrival() {
        let c = r.content.expect("content");
        let Content::SharedPrefix {
            group, shared_tokens, ..
        } = c.content
        else {
            panic!("{c:?}")
        };
        let h: Vec<u64> = BlockHashes::new(c, 16, None).collect();
        let (p, first) = groups.entry(group).or_insert((shared_tokens, h.clone()));
        assert_eq!(*p, shared_tokens);
        let within = (*p / 16) as usize;
        assert_eq!(h[..within], first[..within]);
        n += 1;
    }
    assert_eq!(n, 400);
    assert_eq!(groups.len(), 5);
    // different groups share nothing
    let v: Vec<_> = groups.values().collect();
    assert_ne!(v[0].1[0], v[1].1[0]);
}

#[test]
fn session_turns_extend_the_previous_turn() {
    let spec = WorkloadSpec::new(
        LoadSpec::Concurrency(3),
        LengthModel::Dist {
            isl: LengthDist::Fixed(300),
            osl: LengthDist::parse("--osl", "uniform:5:60").unwrap(),
        },
        Some(30),
        9,
    )
    .with_sessions(SessionSpec {
        turns: LengthDist::Fixed(4),
        turn_isl: Some(LengthDist::Fixed(40)),
        think_time_ms: DelayDist::Fixed(750.0),
    });
    let mut g = spec.generator().unwrap();
    let mut pending: Vec<RequestShape> = (0..3).filter_map(|_| g.next_shape()).collect();
    let (mut started, mut later_turns) = (pending.len(), 0);
    while let Some(prev) = pending.pop() {
        match g.next_turn(prev.session().expect("a session")) {
            Some((think, next)) => {
                assert_eq!(think, 750_000_000, "think time honoured");
                let covered = prev.content.unwrap().covered_tokens;
                assert_eq!(next.isl, covered + 40);
                let a: Vec<u64> = BlockHashes::new(prev.content.unwrap(), 16, None).collect();
                let b: Vec<u64> = BlockHashes::new(next.content.unwrap(), 16, None).collect();
                assert_eq!(a.len() as u32, covered / 16);
                assert_eq!(b[..a.len()], a[..], "turn 2's blocks start with all of turn 1's");
                pending.push(next);
                later_turns += 1;
            }
            None => {
                let new = g.next_shape();
                started += usize::from(new.is_some());
                pending.extend(new);
            }
        }
    }
    assert_eq!(g.issued(), 30, "--requests counts turns");
    assert_eq!(started + later_turns, 30);
    assert!(later_turns >= 20, "{later_turns}");
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p.to_string_lossy().into_owned()
}

#[test]
fn bad_jsonl_exits_2_naming_file_line_and_field() {
    let d = tempfile::tempdir().unwrap();
    let good = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n";
    let cases = [
        (
            "syntax.jsonl",
            "{\"timestamp\": 1, \"input_length\": 6",
            ":2: `json`: invalid JSON",
        ),
        (
            "ids.jsonl",
            "{\"timestamp\": 1, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1, 2]}",
            ":2: `hash_ids`: 3 ids for 600 input tokens, more than ⌈600 / 512⌉ = 2",
        ),
        (
            "neg.jsonl",
            "{\"timestamp\": 1, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, -1]}",
            ":2: `hash_ids`: element 1 is -1",
        ),
        (
            "osl.jsonl",
            "{\"timestamp\": 1, \"input_length\": 600, \"output_length\": 0, \"hash_ids\": [0]}",
            ":2: `output_length`: must be ≥ 1",
        ),
        (
            "time.jsonl",
            "\n{\"timestamp\": -5, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0]}",
            ":3: `timestamp`: expected a time in milliseconds ≥ 0",
        ),
        (
            "missing.jsonl",
            "{\"timestamp\": 1, \"output_length\": 5, \"hash_ids\": [0]}",
            ":2: `input_length`: missing",
        ),
        ("array.jsonl", "[1, 2, 3]", ":2: `json`: expected a JSON object"),
    ];
    for (name, line, want) in cases {
        let f = write(d.path(), name, &format!("{good}{line}\n"));
        let e = util::bad_input(&["simulate", "--trace", &f, "--requests", "5"]);
        assert!(e.contains(&format!("{f}{want}")), "{name}: {e}");
    }
    let empty = write(d.path(), "blank.jsonl", "\n\n");
    // all blank: not JSONL by content, so read as an (empty) CSV
    assert!(util::bad_input(&["simulate", "--trace", &empty]).contains("empty file"));
    // the flags
    let ok = write(d.path(), "ok.jsonl", good);
    for (args, want) in [
        (
            vec!["--trace", &ok, "--trace-block-size", "1024"],
            "2 ids for 600 input tokens, more than ⌈600 / 1024⌉ = 1",
        ),
        (
            vec!["--trace", "splitwise_code", "--trace-block-size", "16"],
            "--trace-block-size: splitwise_code",
        ),
        (vec!["--trace-block-size", "16"], "--trace-block-size: "),
        (
            vec!["--trace", &ok, "--trace-block-size", "0"],
            "--trace-block-size: expected",
        ),
        (
            vec!["--think-time", "5", "--concurrency", "2"],
            "--think-time: applies to multi-turn sessions",
        ),
        (vec!["--sessions", "2"], "--sessions: needs --turns"),
        (
            vec!["--sessions", "2", "--turns", "3", "--rps", "4"],
            "--sessions: is a load of its own",
        ),
        (vec!["--sessions", "2", "--turns", "0"], "--turns: "),
        (vec!["--prefix-groups", "2"], "--prefix-groups: needs --prefix-len"),
        (
            vec!["--prefix-groups", "-1", "--prefix-len", "9"],
            "--prefix-groups: expected between 1 and",
        ),
        (
            vec![
                "--prefix-groups",
                "2",
                "--prefix-len",
                "9",
                "--trace",
                "mooncake_synthetic",
            ],
            "--prefix-groups: not with --trace",
        ),
    ] {
        let mut a = vec!["simulate"];
        a.extend(args);
        let e = util::bad_input(&a);
        assert!(e.contains(want), "{a:?}: {e}");
    }
    // sweep's max-rate search is Poisson: no sessions there
    let e = util::bad_input(&[
        "sweep",
        "--model",
        "nvidia/Llama-3.3-70B-Instruct-FP8",
        "--gpu",
        "h100_sxm",
        "--backend",
        "vllm",
        "--tp",
        "2",
        "--sessions",
        "2",
        "--turns",
        "3",
    ]);
    assert!(e.contains("--sessions: sweep ranks configurations"), "{e}");
    // 1024 tokens per id rejects a 600-token row with 2 ids, but not 1 id
    let one = write(
        d.path(),
        "one.jsonl",
        "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [3]}\n",
    );
    let t = slasim::workload::resolve_trace_with(&one, 1024).expect("1 id per 1024 tokens");
    assert_eq!(t.block_tokens(), 1024);
}

#[test]
fn simulate_runs_the_new_workloads() {
    // the simulator does not use the content yet: these run as before (every prompt new)
    for args in [
        vec![
            "--trace",
            "mooncake_synthetic",
            "--requests",
            "60",
            "--trace-block-size",
            "256",
        ],
        vec![
            "--trace",
            "mooncake_conversation",
            "--concurrency",
            "4",
            "--requests",
            "40",
        ],
        vec![
            "--prefix-groups",
            "4",
            "--prefix-len",
            "1024",
            "--isl",
            "128",
            "--rps",
            "4",
            "--requests",
            "60",
        ],
        vec![
            "--sessions",
            "4",
            "--turns",
            "uniform:2:5",
            "--think-time",
            "200",
            "--requests",
            "60",
        ],
    ] {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("out.json");
        let fs = f.to_string_lossy().into_owned();
        let mut a = vec!["simulate", "--json", &fs];
        a.extend(args.iter().copied());
        util::ok(&a);
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let m = &v["metrics"];
        let done = m["requests_completed"].as_u64().unwrap_or(0) + m["requests_rejected"].as_u64().unwrap_or(0);
        let want: u64 = args[args.iter().position(|a| *a == "--requests").unwrap() + 1]
            .parse()
            .unwrap();
        assert_eq!(done, want, "{args:?}: {v}");
    }
}
