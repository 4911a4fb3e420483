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
