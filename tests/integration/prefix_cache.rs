//! Prefix caching (vLLM semantics) and the KV-aware router, against closed forms and invariants.

use proptest::prelude::*;
use slasim::metrics::Sla;
use slasim::profile::step_model::{StepModel, StepModelKind};
use slasim::profile::{self, Profile};
use slasim::sim::calibration::Calibration;
use slasim::sim::deployment::{Deployment, DeploymentOptions, Mode};
use slasim::sim::router::RouterPolicy;
use slasim::sim::variability::Variability;
use slasim::sim::{simulate, MetricsMode, SimOutcome, SimSpec};
use slasim::workload::{ArrivalPattern, LengthModel, LoadSpec, Trace, TraceBlockIds, TraceRow, WorkloadSpec};
use std::sync::Arc;

const LLAMA: &str = "llama-3.1-8b-fp8/h200/vllm";

fn prof() -> Profile {
    profile::resolve(LLAMA).expect("llama profile")
}

fn agg(replicas: u32, kv: Option<u64>, cache: bool, router: RouterPolicy) -> Deployment {
    DeploymentOptions {
        mode: Some(Mode::Agg),
        replicas: Some(replicas),
        kv_capacity_tokens: kv,
        prefix_cache: Some(cache),
        router: Some(router),
        ..Default::default()
    }
    .build(&prof())
    .expect("deployment")
}

/// A trace of (arrival s, isl, osl, hash ids) rows; `ids: false` drops the ids.
fn trace(rows: &[(f64, u32, u32, Vec<u64>)], with_ids: bool) -> Arc<Trace> {
    let mut ids = Vec::new();
    let mut start = vec![0u32];
    for r in rows {
        ids.extend(&r.3);
        start.push(ids.len() as u32);
    }
    Arc::new(Trace {
        source: "test".into(),
        rows: rows
            .iter()
            .map(|r| TraceRow {
                arrived_at_s: Some(r.0),
                isl: r.1,
                osl: r.2,
            })
            .collect(),
        prefix: with_ids.then_some(TraceBlockIds {
            block_tokens: 512,
            ids,
            start,
        }),
    })
}

fn replay(dep: Deployment, t: Arc<Trace>, seed: u64, var: Variability) -> SimOutcome {
    let mut w = WorkloadSpec::new(
        LoadSpec::OpenLoop(ArrivalPattern::Trace),
        LengthModel::Trace,
        None,
        seed,
    );
    w.trace = Some(t);
    simulate(&SimSpec {
        deployment: dep,
        workload: w,
        calibration: Calibration::default(),
        sla: Sla {
            ttft_ms: 500.0,
            itl_ms: 50.0,
        },
        metrics: MetricsMode::Exact,
        variability: var,
    })
    .expect("simulate")
}

fn by_id(out: &SimOutcome) -> Vec<slasim::metrics::RequestRecord> {
    let mut r = out.collector.records().to_vec();
    r.sort_by_key(|r| r.id);
    r
}

/// Two identical prompts in sequence on one engine: the second reuses every full block but
/// the last partial one, and its TTFT is the cost of prefilling those 8 tokens over 992 cached
/// ones.
#[test]
fn the_second_of_two_identical_prompts_prefills_only_its_partial_block() {
    let dep = agg(1, None, true, RouterPolicy::LeastLoaded);
    let rows = vec![(0.0, 1000, 10, vec![7, 8]), (10.0, 1000, 10, vec![7, 8])];
    let out = replay(dep.clone(), trace(&rows, true), 1, Variability::OFF);
    let r = by_id(&out);
    assert_eq!((r[0].cached_tokens, r[1].cached_tokens), (0, 992));
    let m = StepModel::new(
        StepModelKind::Composed,
        dep.prefill.prefill.clone(),
        dep.prefill.decode.clone(),
    );
    let ttft1 = m.per_request_ms + m.pure_prefill_ms(1000.0);
    let ttft2 = m.per_request_ms + m.fixed_ms + m.prefill_ms(8.0, 8.0 * (2.0 * 992.0 + 8.0));
    assert!((r[0].ttft_ms() - ttft1).abs() < 1e-3, "{} vs {ttft1}", r[0].ttft_ms());
    assert!((r[1].ttft_ms() - ttft2).abs() < 1e-3, "{} vs {ttft2}", r[1].ttft_ms());
    assert!(ttft2 < 0.7 * ttft1, "cached TTFT {ttft2} vs {ttft1}");
    let s = out.prefix_cache[0];
    assert_eq!(
        (s.lookups, s.lookup_tokens, s.hit_tokens, s.evictions),
        (2, 2000, 992, 0)
    );
    assert_eq!(out.prefill_tokens_computed, 1000 + 8);
    assert_eq!(out.kv_blocks_in_use_at_end, 0, "cached blocks are free, not in use");
    // caching off, or no ids: today's results, bit for bit
    let off = replay(
        agg(1, None, false, RouterPolicy::LeastLoaded),
        trace(&rows, true),
        1,
        Variability::OFF,
    );
    let plain = replay(dep, trace(&rows, false), 1, Variability::OFF);
    assert_eq!(by_id(&off), by_id(&plain));
    assert!(off.prefix_cache.is_empty() && plain.prefix_cache_hit_rate().is_none());
    assert_eq!(by_id(&off)[1].cached_tokens, 0);
}

/// A prompt that needs more free blocks than the never-cached ones evicts cached blocks, least
/// recently freed first and a prompt's tail before its head, and the counts say so.
#[test]
fn a_long_prompt_evicts_lru_blocks_tail_first() {
    // 4,096 tokens of KV = 256 blocks. A (2,048 tokens, 128 blocks) runs and is cached; B
    // (3,000 tokens, 188 blocks + decode) needs more than the 128 never-cached free blocks.
    let dep = agg(1, Some(4096), true, RouterPolicy::LeastLoaded);
    let a: Vec<u64> = (0..4).collect();
    let b: Vec<u64> = (100..106).collect();
    let rows = vec![(0.0, 2048, 2, a.clone()), (10.0, 3000, 2, b), (20.0, 2048, 2, a)];
    let out = replay(dep, trace(&rows, true), 1, Variability::OFF);
    let r = by_id(&out);
    let s = out.prefix_cache[0];
    println!(
        "eviction run: {s:?}; third request cached {} tokens",
        r[2].cached_tokens
    );
    // B takes 188 blocks: the 128 never cached, then 60 of A's, tail first; A's head of
    // 256 − 188 = 68 blocks survives and the third request hits exactly it. It then needs
    // 129 − 68 = 61 blocks with 1 never-cached block free: 60 more evictions (of B's tail).
    assert_eq!(r[1].cached_tokens, 0);
    assert_eq!(r[2].cached_tokens, 68 * 16);
    assert_eq!(s.evictions, 120, "{s:?}");
    assert_eq!(s.hit_tokens, u64::from(r[2].cached_tokens));
    assert_eq!(out.kv_blocks_in_use_at_end, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Random traces with shared prefixes on 1–3 engines of random KV size: every request
    /// completes once; cached + computed prompt tokens = prompt tokens (no preemption with
    /// ample KV); blocks in use never exceed capacity and return to 0; same seed ⇒ same result.
    #[test]
    fn cache_invariants(
        rows in prop::collection::vec((0u32..4, 1u32..6, 1u32..1500, 1u32..40, 0u32..20), 1..40),
        replicas in 1u32..4,
        kv_k in 2u64..64,
        kv_router in any::<bool>(),
    ) {
        let mut t = 0.0;
        let rows: Vec<(f64, u32, u32, Vec<u64>)> = rows
            .into_iter()
            .enumerate()
            .map(|(i, (group, shared, tail, osl, gap))| {
                t += f64::from(gap) * 0.05;
                let mut ids: Vec<u64> = (0..shared).map(|k| u64::from(group) * 1000 + u64::from(k)).collect();
                let isl = shared * 512 + tail;
                ids.push(1_000_000 + i as u64);
                (t, isl, osl, ids)
            })
            .collect();
        let router = if kv_router { RouterPolicy::Kv } else { RouterPolicy::RoundRobin };
        let kv = kv_k * 1024;
        let dep = agg(replicas, Some(kv), true, router);
        let out = replay(dep.clone(), trace(&rows, true), 3, Variability::default());
        let recs = by_id(&out);
        prop_assert_eq!(recs.len() as u64 + out.rejected, rows.len() as u64);
        prop_assert!(out.peak_kv_usage <= 1.0 + 1e-12);
        prop_assert_eq!(out.kv_blocks_in_use_at_end, 0);
        for r in &recs {
            prop_assert!(r.cached_tokens < r.isl.max(1));
        }
        if out.preemptions == 0 {
            let cached: u64 = recs.iter().map(|r| u64::from(r.cached_tokens)).sum();
            let prompts: u64 = recs.iter().map(|r| u64::from(r.isl)).sum();
            prop_assert_eq!(cached + out.prefill_tokens_computed, prompts);
        }
        let again = replay(dep, trace(&rows, true), 3, Variability::default());
        prop_assert_eq!(by_id(&again), recs);
    }
}

/// The hit rate an infinite cache shared by every worker would reach on a Mooncake trace,
/// computed from its `hash_ids` alone: request r can reuse, from an earlier request r' that
/// shares its first k ids, at most min(k · 512, isl(r'), isl(r) − 1) tokens.
fn infinite_cache_hit_rate(jsonl: &str) -> f64 {
    use std::collections::HashMap;
    // chain of the first i+1 ids → the longest earlier prompt with that prefix
    let mut longest: HashMap<u64, u64> = HashMap::new();
    let (mut hit, mut total) = (0u64, 0u64);
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let isl = v["input_length"].as_u64().expect("input_length");
        let ids: Vec<u64> = v["hash_ids"]
            .as_array()
            .expect("hash_ids")
            .iter()
            .map(|x| x.as_u64().expect("id"))
            .collect();
        let mut chain = 0xcbf2_9ce4_8422_2325u64;
        let mut best = 0u64;
        let mut chains = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            chain = (chain ^ id).wrapping_mul(0x100_0000_01b3).rotate_left(17) ^ (i as u64);
            chains.push(chain);
            if let Some(&prev) = longest.get(&chain) {
                best = best.max(((i as u64 + 1) * 512).min(prev));
            }
        }
        hit += best.min(isl.saturating_sub(1));
        total += isl;
        for c in chains {
            let e = longest.entry(c).or_insert(0);
            *e = (*e).max(isl);
        }
    }
    hit as f64 / total as f64
}

/// Issue 14's comparison on the conversation trace, 4 Llama-3.1-8B H200 workers: the KV-aware
/// router hits the caches more than round-robin and gets a lower TTFT p50, and no simulated
/// rate passes the infinite-cache bound.
#[test]
fn kv_router_beats_round_robin_on_the_conversation_trace_within_the_infinite_cache_bound() {
    let text =
        std::fs::read_to_string(crate::util::repo().join("traces/mooncake_conversation.jsonl")).expect("shipped trace");
    let bound = infinite_cache_hit_rate(&text);
    let run = |router: &str| -> serde_json::Value {
        let out = crate::util::ok(&[
            "simulate",
            "--profile",
            LLAMA,
            "--replicas",
            "4",
            "--trace",
            "mooncake_conversation",
            "--router",
            router,
            "--json",
        ]);
        serde_json::from_str(&out).expect("summary")
    };
    let (kv, rr) = (run("kv"), run("round-robin"));
    let rate = |v: &serde_json::Value| v["metrics"]["prefix_cache_hit_rate"].as_f64().expect("hit rate");
    let p50 = |v: &serde_json::Value| v["metrics"]["ttft_ms"]["p50"].as_f64().expect("ttft");
    println!(
        "conversation trace, 4 workers: hit rate kv {:.4} / round-robin {:.4} / infinite-cache bound {bound:.4}; \
         TTFT p50 kv {:.1} ms / round-robin {:.1} ms",
        rate(&kv),
        rate(&rr),
        p50(&kv),
        p50(&rr)
    );
    for v in [&kv, &rr] {
        assert_eq!(v["metrics"]["preemptions"], 0, "the bound assumes no recompute lookups");
        assert!(rate(v) <= bound, "{} > bound {bound}", rate(v));
    }
    assert!(rate(&kv) > rate(&rr));
    assert!(p50(&kv) < p50(&rr));
}

/// A 2-turn session: the second turn's prompt (history + new message) hits at least the whole
/// first-turn prompt when the cache is large enough.
#[test]
fn a_second_turn_hits_its_whole_first_turn_prompt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("s.csv");
    crate::util::ok(&[
        "simulate",
        "--profile",
        LLAMA,
        "--sessions",
        "1",
        "--turns",
        "2",
        "--isl",
        "1000",
        "--turn-isl",
        "200",
        "--osl",
        "100",
        "--think-time",
        "500",
        "--requests",
        "2",
        "--variability",
        "off",
        "--requests-csv",
        csv.to_str().expect("utf-8"),
    ]);
    let text = std::fs::read_to_string(&csv).expect("csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().expect("header").clone();
    let col = |n: &str| h.iter().position(|x| x == n).expect(n);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    let get = |r: &csv::StringRecord, n: &str| -> f64 { r[col(n)].parse().expect(n) };
    assert_eq!(get(&rows[0], "request_num_prefill_tokens"), 1000.0);
    assert_eq!(
        get(&rows[1], "request_num_prefill_tokens"),
        1300.0,
        "history 1000 + 100, new 200"
    );
    assert_eq!(get(&rows[0], "cached_prefix_tokens"), 0.0);
    // turn 1's prompt and response (1,099 tokens of KV) leave 68 full blocks cached
    assert_eq!(get(&rows[1], "cached_prefix_tokens"), 1088.0);
    // the second turn arrives 500 ms of think time after the first one's last token
    let (a0, a1) = (get(&rows[0], "arrived_at"), get(&rows[1], "arrived_at"));
    let e2e0 = get(&rows[0], "e2e_ms") / 1e3;
    assert!((a1 - (a0 + e2e0 + 0.5)).abs() < 1e-6, "{a1} vs {a0} + {e2e0} + 0.5");
}

/// With one engine whose KV never fills, nothing is evicted and every reusable block is found:
/// the simulated hit rate equals the infinite-cache bound computed from the trace's `hash_ids`
/// alone (up to the last partial 16-token block of each prompt, which is never cached).
#[test]
fn one_engine_with_unbounded_kv_reaches_the_infinite_cache_bound() {
    let text =
        std::fs::read_to_string(crate::util::repo().join("traces/mooncake_conversation.jsonl")).expect("shipped trace");
    let bound = infinite_cache_hit_rate(&text);
    let out = crate::util::ok(&[
        "simulate",
        "--profile",
        LLAMA,
        "--kv-capacity",
        "200000000",
        "--trace",
        "mooncake_conversation",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("summary");
    let rate = v["metrics"]["prefix_cache_hit_rate"].as_f64().expect("hit rate");
    println!("one engine, unbounded KV: hit rate {rate:.5}, infinite-cache bound {bound:.5}");
    assert_eq!(v["prefix_cache"]["engines"][0]["evictions"], 0);
    assert!(rate <= bound && bound - rate < 0.002, "{rate} vs bound {bound}");
}
