//! Unit tests of the generator's content: shared prefixes and multi-turn sessions, driven as the
//! simulator drives them.

use super::content::{BlockHashes, Content};
use super::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

fn dist(flag: &str, s: &str) -> LengthDist {
    LengthDist::parse(flag, s).unwrap_or_else(|e| panic!("{e}"))
}

fn session_spec(n: u32, requests: u64, turns: &str, think: &str, seed: u64) -> WorkloadSpec {
    WorkloadSpec::new(
        LoadSpec::Concurrency(n),
        LengthModel::Dist {
            isl: dist("--isl", "uniform:50:400"),
            osl: dist("--osl", "uniform:1:120"),
        },
        Some(requests),
        seed,
    )
    .with_sessions(SessionSpec {
        turns: dist("--turns", turns),
        turn_isl: Some(dist("--turn-isl", "uniform:10:80")),
        think_time_ms: DelayDist::parse("--think-time", think).unwrap_or_else(|e| panic!("{e}")),
    })
}

/// One request as the toy simulator saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    arrival_ns: u64,
    shape: RequestShape,
    /// For a later turn: when the previous turn completed and the think time returned.
    after: Option<(u64, u64)>,
}

/// Drives `spec`'s generator as the simulator will: `next_shape` N times at t = 0; when a
/// request completes (after 1 ms + 10 µs per output token), `next_turn(session)`, scheduling the
/// next turn after its think time, or a new session (`next_shape`) when that one is over.
fn drive(spec: &WorkloadSpec) -> (Vec<Seen>, usize) {
    let n = spec.sessions_in_flight().expect("a sessions spec");
    let mut g = spec.generator().unwrap_or_else(|e| panic!("{e}"));
    // (completion time, sequence) → index in `seen`
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
    let mut seen: Vec<Seen> = Vec::new();
    let mut seq = 0u64;
    let mut push = |seen: &mut Vec<Seen>,
                    heap: &mut BinaryHeap<Reverse<(u64, u64, usize)>>,
                    t: u64,
                    shape: RequestShape,
                    after: Option<(u64, u64)>| {
        let done = t + 1_000_000 + 10_000 * u64::from(shape.osl);
        seen.push(Seen {
            arrival_ns: t,
            shape,
            after,
        });
        heap.push(Reverse((done, seq, seen.len() - 1)));
        seq += 1;
    };
    for _ in 0..n {
        if let Some(s) = g.next_shape() {
            push(&mut seen, &mut heap, 0, s, None);
        }
    }
    let mut most_remembered = 0;
    while let Some(Reverse((t, _, i))) = heap.pop() {
        let session = seen[i].shape.session().expect("a session turn");
        match g.next_turn(session) {
            Some((think, s)) => push(&mut seen, &mut heap, t + think, s, Some((t, think))),
            None => {
                if let Some(s) = g.next_shape() {
                    push(&mut seen, &mut heap, t, s, None);
                }
            }
        }
        if let LengthGen::Sessions(sg) = &g.lengths {
            most_remembered = most_remembered.max(sg.remembered());
        }
        assert!(heap.len() <= n as usize, "at most N sessions in flight");
    }
    assert!(g.next_shape().is_none() && g.is_done());
    (seen, most_remembered)
}

#[test]
fn sessions_driven_as_the_simulator_would() {
    let spec = session_spec(8, 500, "uniform:1:6", "uniform:100:300", 11);
    assert_eq!(spec.request_count(), Some(500));
    assert_eq!(spec.expected_requests(), Some(500));
    let (seen, most_remembered) = drive(&spec);
    assert_eq!(seen.len(), 500, "--requests counts turns");
    assert!(
        most_remembered <= 8,
        "state bounded by the sessions in flight: {most_remembered}"
    );
    // group the turns per session, in order
    let mut by_session: HashMap<u64, Vec<&Seen>> = HashMap::new();
    for s in &seen {
        by_session
            .entry(s.shape.session().unwrap_or(u64::MAX))
            .or_default()
            .push(s);
    }
    let mut multi = 0;
    for turns in by_session.values() {
        assert!(turns.len() <= 6);
        assert!(turns[0].after.is_none() && (50..=400).contains(&turns[0].shape.isl));
        for w in turns.windows(2) {
            let (prev, next) = (&w[0].shape, &w[1].shape);
            let prev_covered = prev.content.map_or(0, |c| c.covered_tokens);
            assert_eq!(prev_covered, prev.isl + prev.osl);
            // the prompt is the history (previous prompt + response) then a new message
            let msg = next.isl - prev_covered;
            assert!((10..=80).contains(&msg), "new message {msg}");
            // think time honoured, from the previous completion
            let (done, think) = w[1].after.expect("a later turn");
            assert_eq!(w[1].arrival_ns, done + think);
            assert!((100_000_000..=300_000_000).contains(&think), "{think}");
            // a cache holding the previous turn (prompt + output) covers its whole prompt
            let a: Vec<u64> = BlockHashes::new(prev.content.unwrap(), 16, None).collect();
            let b: Vec<u64> = BlockHashes::new(next.content.unwrap(), 16, None).collect();
            assert_eq!(a.len() as u32, prev_covered / 16);
            assert_eq!(b[..a.len()], a[..]);
            assert!(a.len() as u32 * 16 + 16 > prev.isl);
            multi += 1;
        }
    }
    assert!(multi > 100, "{multi} later turns");
    // same seed ⇒ the same requests; another seed ⇒ others
    assert_eq!(drive(&spec).0, seen);
    assert_ne!(
        drive(&session_spec(8, 500, "uniform:1:6", "uniform:100:300", 12)).0,
        seen
    );
}

#[test]
fn sessions_when_the_simulator_only_calls_next_shape() {
    // today's simulator: a closed loop of first turns; nothing panics, memory stays bounded
    let spec = session_spec(4, 10_000, "5", "0", 1);
    let mut g = spec.generator().unwrap();
    let mut keys = Vec::new();
    while let Some(s) = g.next_shape() {
        keys.push(s.session().unwrap_or(u64::MAX));
        if let LengthGen::Sessions(sg) = &g.lengths {
            assert!(sg.remembered() <= 8);
        }
    }
    assert_eq!(keys.len(), 10_000);
    assert!(keys.windows(2).all(|w| w[0] + 1 == w[1]), "each a new session");
    assert!(g.next_turn(0).is_none(), "the budget is used up");
}

#[test]
fn the_budget_cuts_sessions_short_and_one_turn_sessions_end_at_once() {
    let spec = session_spec(1, 3, "10", "0", 2);
    let mut g = spec.generator().unwrap();
    let first = g.next_shape().unwrap();
    let k = first.session().unwrap();
    assert!(g.next_turn(k).is_some());
    assert!(g.next_turn(k).is_some());
    assert!(g.next_turn(k).is_none(), "3 turns issued: the budget");
    assert!(g.next_shape().is_none() && g.is_done());
    // one turn per session: next_turn is always None, next_shape starts the next
    let spec = session_spec(2, 4, "1", "0", 2);
    let (seen, most) = drive(&spec);
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|s| s.after.is_none()));
    assert_eq!(most, 0);
    // next_turn on a generator without sessions
    let mut g = WorkloadSpec::new(LoadSpec::Concurrency(1), LengthModel::fixed(5, 5), Some(3), 1)
        .generator()
        .unwrap();
    assert_eq!(g.next_turn(0), None);
    assert_eq!(g.next_shape(), Some(RequestShape::new(5, 5)));
}

#[test]
fn warm_up_turns_count_towards_the_cap() {
    let spec = session_spec(3, 50, "uniform:1:4", "0", 5).with_warmup(10);
    assert_eq!(spec.request_count(), Some(60));
    assert_eq!(drive(&spec).0.len(), 60);
}

#[test]
fn shared_prefix_with_every_load() {
    let prefix = SharedPrefixSpec {
        groups: 3,
        prefix_len: dist("--prefix-len", "uniform:200:400"),
    };
    let lengths = LengthModel::Dist {
        isl: dist("--isl", "uniform:20:60"),
        osl: dist("--osl", "9"),
    };
    let closed = WorkloadSpec::new(LoadSpec::Concurrency(4), lengths.clone(), Some(300), 3);
    let open = WorkloadSpec::new(
        LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps: 5.0 }),
        lengths.clone(),
        Some(300),
        3,
    );
    // without the prefix, the same questions and arrivals (their own streams)
    let mut plain = open.generator().unwrap();
    let plain: Vec<(u64, RequestShape)> = std::iter::from_fn(|| plain.next_arrival()).collect();
    for spec in [closed, open] {
        let spec = spec.with_shared_prefix(prefix.clone());
        spec.validate().unwrap();
        let mut g = spec.generator().unwrap();
        let reqs: Vec<RequestShape> = std::iter::from_fn(|| match spec.load {
            LoadSpec::Concurrency(_) => g.next_shape(),
            LoadSpec::OpenLoop(_) => g.next_arrival().map(|(_, s)| s),
        })
        .collect();
        assert_eq!(reqs.len(), 300);
        let mut per_group: HashMap<u32, Vec<(u32, Vec<u64>)>> = HashMap::new();
        for (i, r) in reqs.iter().enumerate() {
            let c = r.content.expect("content");
            let Content::SharedPrefix {
                group,
                shared_tokens,
                unique,
            } = c.content
            else {
                panic!("{c:?}")
            };
            assert_eq!(unique, i as u64);
            assert_eq!(c.covered_tokens, r.isl);
            assert!((200..=400).contains(&shared_tokens));
            // the question is the --isl draw, unchanged by the prefix
            assert_eq!(r.isl - shared_tokens, plain[i].1.isl);
            per_group
                .entry(group)
                .or_default()
                .push((shared_tokens, BlockHashes::new(c, 16, None).collect()));
        }
        assert_eq!(per_group.len(), 3);
        for reqs in per_group.values() {
            let p = reqs[0].0;
            let shared = (p / 16) as usize; // blocks ending within P
            for (q, h) in reqs {
                assert_eq!(*q, p, "one prompt length per group");
                assert_eq!(h[..shared], reqs[0].1[..shared]);
            }
            // beyond the shared part every request is its own
            if reqs.len() > 1 {
                assert_ne!(reqs[0].1[shared], reqs[1].1[shared]);
            }
        }
    }
}

#[test]
fn content_specs_name_the_flag() {
    let e = |w: &WorkloadSpec| w.validate().unwrap_err().to_string();
    let base = session_spec(2, 10, "3", "0", 1);
    let mut w = base.clone();
    w.load = LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps: 1.0 });
    assert!(e(&w).starts_with("--sessions: sessions are closed loops"), "{}", e(&w));
    let mut w = base.clone();
    w.load = LoadSpec::Concurrency(0);
    assert!(e(&w).starts_with("--sessions: expected at least 1 session"));
    let mut w = base.clone();
    w.requests = None;
    assert!(e(&w).starts_with("--requests: sessions"), "{}", e(&w));
    let w = base.clone().with_shared_prefix(SharedPrefixSpec {
        groups: 2,
        prefix_len: LengthDist::Fixed(5),
    });
    assert!(e(&w).starts_with("--prefix-groups: not with --sessions"));
    let mut w = base.clone();
    w.sessions.as_mut().unwrap().turns = LengthDist::Fixed(0);
    assert!(e(&w).starts_with("--turns: "));
    let mut w = base.clone();
    w.sessions.as_mut().unwrap().think_time_ms = DelayDist::Fixed(-1.0);
    assert!(e(&w).starts_with("--think-time: "));
    let mut w = base.clone();
    w.sessions.as_mut().unwrap().turn_isl = Some(LengthDist::Uniform { min: 5, max: 1 });
    assert!(e(&w).starts_with("--turn-isl: "));
    let mut w =
        WorkloadSpec::new(LoadSpec::Concurrency(2), LengthModel::Trace, None, 1).with_shared_prefix(SharedPrefixSpec {
            groups: 2,
            prefix_len: LengthDist::Fixed(5),
        });
    w.trace = Some(Arc::new(Trace {
        source: "t".into(),
        rows: vec![TraceRow {
            arrived_at_s: None,
            isl: 5,
            osl: 5,
        }],
        prefix: None,
    }));
    assert!(e(&w).starts_with("--prefix-groups: shared prompts"));
    assert!(w.generator().is_err());
}
