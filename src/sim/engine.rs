//! One engine (a replica in `agg`, a prefill or decode worker in `disagg`) and its scheduler.
//!
//! An engine runs **iterations**. At the start of each, the scheduler picks the batch from its
//! running and waiting requests under `max_num_seqs`, `max_batched_tokens` and free KV blocks;
//! the iteration's duration comes from the engine's step model
//! ([`crate::profile::step_model`]; calibration scales apply on top):
//!
//! * `composed` (default): the fixed cost per iteration (× the decode scale on engines with a
//!   decode surface, else × the prefill scale), + the marginal prefill cost of the prompt tokens
//!   scheduled with the attention over each chunk's already-prefilled context (× prefill
//!   scale), + the marginal decode cost of the batch (its requests and KV tokens, counted after
//!   this step's token is written; × decode scale) — a mixed iteration pays the fixed cost once;
//! * `sum` (the earlier rule): prefill curve at S = prompt tokens scheduled × prefill scale +
//!   decode surface at (Σ KV tokens ÷ the surface's KV scale, mean context) × decode scale;
//! * plus `iteration_overhead_ms`, and the seeded step jitter of [`super::variability`].
//!
//! A prefill worker then stays busy `prefill_handoff_ms` per request whose prefill completed in
//! the iteration ([`Engine::finish_iteration`] returns that time): hand-off work on the engine,
//! off the TTFT path (the KV transfer starts when the prefill ends).
//!
//! At its end every decoding request in the batch has one more token and prefill chunks
//! advance. A request's first token leaves the engine that produces it (the agg engine or the
//! prefill worker at prefill end; the decode worker's first step on Dynamo's disaggregated
//! path) and reaches the client its per-request latency later (frontend + the profile's
//! per-request latency), as does its last. KV is block-granular: admission takes the blocks of
//! the whole prompt (or recompute); a decoding request takes a block when its KV crosses a block
//! boundary; when a block is needed and none is free, the newest running request is preempted
//! (recompute: its KV is freed and it returns to the head of the waiting queue).

use super::batch::DecodeBatch;
use super::calibration::Calibration;
use super::deployment::{Deployment, EngineSpec, FirstToken, Mode, SchedulerKind};
use super::kv::KvBlockPool;
use super::prefix_cache::PrefixCache;
use super::request::{Phase, Req, RequestSlab};
use super::variability::StepJitter;
use crate::profile::step_model::StepModel;
use crate::profile::{DecodeSurface, PrefillCurve, Role};
use crate::workload::content::BlockHashes;
use crate::workload::Trace;
use std::collections::VecDeque;
use std::sync::Arc;

/// A request that left the engine at the end of an iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Produced its last token.
    Completed(u32),
    /// Prefill worker: prefill done, first token produced; KV hand-off to start.
    PrefillDone(u32),
}

/// Static parameters of an engine, resolved from the deployment and calibration.
#[derive(Debug, Clone)]
pub struct EngineParams {
    /// Role.
    pub role: Role,
    /// Scheduler.
    pub scheduler: SchedulerKind,
    /// Batch-size cap.
    pub max_num_seqs: u32,
    /// Token budget per iteration.
    pub max_batched_tokens: u32,
    /// Chunked prefill.
    pub chunked_prefill: bool,
    /// Prefill curve.
    pub prefill: Option<Arc<PrefillCurve>>,
    /// Decode surface.
    pub decode: Option<Arc<DecodeSurface>>,
    /// Step-time model built from the curves.
    pub step: StepModel,
    /// Prefill time multiplier.
    pub prefill_scale: f64,
    /// Decode time multiplier.
    pub decode_scale: f64,
    /// Multiplier of the step model's fixed cost (the decode scale when the fixed cost comes
    /// from the decode surface, else the prefill scale).
    pub fixed_scale: f64,
    /// Per-iteration overhead, ms.
    pub iteration_overhead_ms: f64,
    /// Prefill-worker busy time per completed prefill, ms.
    pub handoff_ms: f64,
    /// Disagg on Dynamo's path: the prefill worker emits no token and the decode worker's first
    /// step emits the first one.
    pub first_token_on_decode: bool,
    /// Automatic prefix caching (agg engines and prefill workers; see [`super::prefix_cache`]).
    pub prefix_cache: bool,
    /// The workload's trace, whose rows' prefix block ids name request content.
    pub trace: Option<Arc<Trace>>,
}

impl EngineParams {
    /// Parameters of engines of type `spec` in `dep` under calibration `cal`.
    pub fn new(dep: &Deployment, spec: &EngineSpec, cal: &Calibration) -> Self {
        let step = StepModel::new(dep.step_model, spec.prefill.clone(), spec.decode.clone());
        EngineParams {
            role: spec.role,
            scheduler: dep.scheduler,
            max_num_seqs: if spec.role == Role::Prefill {
                cal.prefill_max_num_seqs
                    .or(cal.max_num_seqs)
                    .unwrap_or(dep.max_num_seqs)
            } else {
                cal.max_num_seqs.unwrap_or(dep.max_num_seqs)
            },
            max_batched_tokens: dep.max_batched_tokens,
            chunked_prefill: dep.chunked_prefill,
            prefill: spec.prefill.clone(),
            decode: spec.decode.clone(),
            prefill_scale: cal.prefill_time_scale,
            decode_scale: cal.decode_time_scale,
            fixed_scale: if step.fixed_from_decode {
                cal.decode_time_scale
            } else {
                cal.prefill_time_scale
            },
            step,
            iteration_overhead_ms: cal.iteration_overhead_ms,
            handoff_ms: if spec.role == Role::Prefill {
                cal.prefill_handoff_ms
            } else {
                0.0
            },
            first_token_on_decode: dep.mode == Mode::Disagg && dep.first_token == FirstToken::Decode,
            prefix_cache: dep.prefix_cache && spec.role != Role::Decode,
            trace: None,
        }
    }
}

/// Milliseconds to integer nanoseconds (rounded, ≥ 0; negative and NaN give 0). A time past
/// the simulation horizon (or +∞) gives [`super::horizon::BEYOND_HORIZON_NS`], which the event
/// loop rejects, so no conversion saturates or wraps silently.
#[inline]
pub fn ms_to_ns(ms: f64) -> u64 {
    if ms.is_nan() || ms <= 0.0 {
        0
    } else if ms > super::horizon::HORIZON_S * 1e3 {
        super::horizon::BEYOND_HORIZON_NS
    } else {
        (ms * 1e6).round() as u64
    }
}

/// State of one engine.
#[derive(Debug)]
pub struct Engine {
    /// Parameters.
    pub p: EngineParams,
    /// KV blocks.
    pub kv: KvBlockPool,
    /// FCFS waiting queue (slots); preempted requests go to the front.
    pub waiting: VecDeque<u32>,
    /// Admitted requests whose prefill is in progress, in admission order.
    prefilling: VecDeque<u32>,
    /// Decode batch aggregates.
    pub batch: DecodeBatch,
    /// Admission order of running requests (lazy: dead entries skipped), for preemption.
    running_order: Vec<(u32, u32)>,
    /// Decode steps executed so far.
    pub decode_step: u64,
    /// Whether an iteration is in flight.
    pub busy: bool,
    /// Requests assigned and not finished/handed off (router view).
    pub outstanding: u64,
    /// Iterations run.
    pub iterations: u64,
    /// Preemptions done.
    pub preemptions: u64,
    /// Output tokens produced (decode steps + prefill completions), for conservation checks.
    pub tokens_generated: u64,
    /// Most KV blocks ever in use at once.
    pub peak_kv_blocks: u64,
    /// Prompt tokens prefilled (computed, not served from the prefix cache).
    pub prefill_tokens_computed: u64,
    /// Prefix cache (when enabled for this engine).
    pub cache: Option<PrefixCache>,
    /// Scratch buffer for block hashes (tail-first release).
    hash_buf: Vec<u64>,
    /// Multiplicative jitter of iteration times (seeded; 1 when variability is off).
    jitter: StepJitter,
    // Current iteration:
    chunks: Vec<(u32, u32)>,
    iter_has_decode: bool,
    /// Prompt tokens scheduled and their attention sum Σ((p + s)² − p²).
    iter_prefill: (u64, f64),
    /// Decode batch of the iteration: requests and KV tokens.
    iter_decode: (u32, i64),
    /// Decode worker on Dynamo's path: requests whose first token this iteration's step emits.
    first_step: Vec<(u32, u32)>,
}

impl Engine {
    /// A new idle engine.
    pub fn new(p: EngineParams, kv_capacity_tokens: u64, block_size: u32, jitter: StepJitter) -> Self {
        let cache = p.prefix_cache.then(PrefixCache::new);
        Engine {
            p,
            kv: KvBlockPool::new(kv_capacity_tokens, block_size),
            waiting: VecDeque::new(),
            prefilling: VecDeque::new(),
            batch: DecodeBatch::new(block_size),
            running_order: Vec::new(),
            decode_step: 0,
            busy: false,
            outstanding: 0,
            iterations: 0,
            preemptions: 0,
            tokens_generated: 0,
            peak_kv_blocks: 0,
            prefill_tokens_computed: 0,
            cache,
            hash_buf: Vec::new(),
            jitter,
            chunks: Vec::new(),
            iter_has_decode: false,
            iter_prefill: (0, 0.0),
            iter_decode: (0, 0),
            first_step: Vec::new(),
        }
    }

    /// Prompt tokens routed to this engine and not yet prefilled: the queued requests' whole
    /// prefill targets plus what the running prefills have left (the KV router's prefill load).
    pub fn pending_prefill_tokens(&self, reqs: &RequestSlab) -> u64 {
        let queued: u64 = self
            .waiting
            .iter()
            .map(|&s| u64::from(reqs.get(s).prefill_target))
            .sum();
        let running: u64 = self
            .prefilling
            .iter()
            .map(|&s| {
                let r = reqs.get(s);
                u64::from(r.prefill_target.saturating_sub(r.prefilled))
            })
            .sum();
        queued + running
    }

    /// Requests running (prefilling or decoding).
    #[inline]
    pub fn running(&self) -> u32 {
        self.batch.count + self.prefilling.len() as u32
    }

    /// True when the engine has nothing to do.
    pub fn is_idle(&self) -> bool {
        !self.busy && self.waiting.is_empty() && self.prefilling.is_empty() && self.batch.count == 0
    }

    /// Blocks a request needs to be admitted: its prompt (or recompute) on prefill/agg engines,
    /// its transferred KV plus the first step's block on a decode worker.
    #[inline]
    fn admission_blocks(&self, reqs: &RequestSlab, slot: u32) -> u64 {
        let r = reqs.get(slot);
        let b = self.kv.blocks_for(r.prefill_target as u64);
        if self.p.role == Role::Decode && r.prefill_target % self.kv.block_size == 0 {
            b + 1
        } else {
            b
        }
    }

    /// Takes `n` blocks from the pool, evicting free cached blocks (least recently freed first)
    /// when the never-cached free blocks do not suffice; the caller has checked
    /// [`KvBlockPool::free`] (which counts free cached blocks as free).
    #[inline]
    fn alloc_blocks(&mut self, n: u64) {
        if let Some(c) = &mut self.cache {
            let uncached = self.kv.free() - c.cached_free();
            if n > uncached {
                c.evict(n - uncached);
            }
        }
        self.kv.alloc(n);
    }

    /// Prefix-cache lookup for admitting `r` (target `prefill_target` tokens): (leading blocks
    /// cached, of which free). At least one token is always computed.
    #[inline]
    fn cache_probe(&self, r: &Req) -> (u32, u32) {
        match (&self.cache, r.content) {
            (Some(c), Some(content)) if r.prefill_target > 0 => {
                let max = (r.prefill_target - 1) / self.kv.block_size;
                c.probe(
                    BlockHashes::new(content, self.kv.block_size, self.p.trace.as_deref()),
                    max,
                )
            }
            _ => (0, 0),
        }
    }

    /// Releases the `total` KV blocks `slot` holds: its prefix-cache references (blocks left
    /// unused become free cached blocks) and its private blocks; when it `completed`, its full
    /// blocks of known content it never registered (generated tokens of a session) are cached
    /// as free blocks, up to `kv_tokens` tokens of KV. Tail first, so tails are evicted first.
    fn release_request(&mut self, reqs: &mut RequestSlab, slot: u32, total: u64, kv_tokens: u64, completed: bool) {
        let r = reqs.get_mut(slot);
        let held = u64::from(r.prefix_blocks);
        r.prefix_blocks = 0;
        let (Some(cache), Some(content)) = (&mut self.cache, r.content) else {
            self.kv.release(total);
            return;
        };
        let bs = self.kv.block_size;
        let full = kv_tokens / u64::from(bs);
        let buf = &mut self.hash_buf;
        buf.clear();
        buf.extend(BlockHashes::new(content, bs, self.p.trace.as_deref()).take(full.max(held) as usize));
        let held = held.min(buf.len() as u64);
        if completed && (buf.len() as u64) > held {
            cache.insert_free(buf[held as usize..].iter().rev().copied());
        }
        let freed = cache.release(buf[..held as usize].iter().rev().copied());
        self.kv.release(total.saturating_sub(held) + u64::from(freed));
    }

    /// Registers the full prompt blocks `slot` has just computed (its prefill completed) in the
    /// prefix cache; a block already cached is shared and the request's copy freed.
    fn register_prefill(&mut self, reqs: &mut RequestSlab, slot: u32) {
        let r = reqs.get_mut(slot);
        let (Some(cache), Some(content)) = (&mut self.cache, r.content) else {
            return;
        };
        let bs = self.kv.block_size;
        let full = r.prefill_target / bs;
        if full <= r.prefix_blocks {
            return;
        }
        let hashes = BlockHashes::new(content, bs, self.p.trace.as_deref());
        let known = hashes.len().min(full);
        if known <= r.prefix_blocks {
            return;
        }
        let new = hashes
            .skip(r.prefix_blocks as usize)
            .take((known - r.prefix_blocks) as usize);
        let (dup, revived) = cache.register_held(new);
        r.prefix_blocks = known;
        // a revived entry is now in use; the request's own copy of a duplicate is freed
        self.kv.alloc(u64::from(revived));
        self.kv.release(u64::from(dup));
    }

    /// Starts an iteration at `now` if there is work; returns its duration in ns.
    pub fn start_iteration(&mut self, now: u64, reqs: &mut RequestSlab) -> Option<u64> {
        debug_assert!(!self.busy);
        self.chunks.clear();
        self.iter_has_decode = false;
        self.iter_prefill = (0, 0.0);
        self.iter_decode = (0, 0);
        match (self.p.role, self.p.scheduler) {
            (Role::Decode, _) => {
                self.admit_decoders(now, reqs);
                self.schedule_decode(reqs);
            }
            (Role::Prefill, _) => self.schedule_prefill(now, reqs, self.p.max_batched_tokens),
            (Role::Agg, SchedulerKind::Vllm) => {
                self.schedule_decode(reqs);
                let budget = self.p.max_batched_tokens.saturating_sub(self.batch.count);
                self.schedule_prefill(now, reqs, budget);
            }
            (Role::Agg, SchedulerKind::PrefillFirst) => {
                self.schedule_prefill(now, reqs, self.p.max_batched_tokens);
                if self.chunks.is_empty() {
                    self.schedule_decode(reqs);
                }
            }
        }
        if self.chunks.is_empty() && !self.iter_has_decode {
            return None;
        }
        let ms = self.iteration_ms() * self.jitter.factor() + self.p.iteration_overhead_ms;
        self.peak_kv_blocks = self.peak_kv_blocks.max(self.kv.used());
        self.busy = true;
        self.iterations += 1;
        Some(ms_to_ns(ms).max(1))
    }

    /// Engine time of the iteration just scheduled (before overhead and jitter), ms.
    #[inline]
    fn iteration_ms(&self) -> f64 {
        let st = &self.p.step;
        let mut ms = st.fixed_ms * self.p.fixed_scale;
        let (tokens, attention) = self.iter_prefill;
        if tokens > 0 {
            ms += st.prefill_ms(tokens as f64, attention) * self.p.prefill_scale;
        }
        if self.iter_has_decode {
            let (b, kv) = self.iter_decode;
            ms += st.decode_ms(b as f64, kv as f64) * self.p.decode_scale;
        }
        ms.max(1e-6)
    }

    /// Decode worker: admits transferred requests into the decode batch (FCFS, while the batch
    /// cap and KV blocks allow).
    fn admit_decoders(&mut self, now: u64, reqs: &mut RequestSlab) {
        while let Some(&slot) = self.waiting.front() {
            if self.batch.count >= self.p.max_num_seqs {
                break;
            }
            let need = self.admission_blocks(reqs, slot);
            if need > self.kv.free() {
                break;
            }
            self.waiting.pop_front();
            // the step's own block is taken in schedule_decode
            let base = self.kv.blocks_for(reqs.get(slot).prefill_target as u64);
            self.kv.alloc(base);
            let step = self.decode_step;
            let r = reqs.get_mut(slot);
            if r.first_scheduled_ns == u64::MAX {
                r.first_scheduled_ns = now;
            }
            r.phase = Phase::Decoding;
            r.join_step = step;
            r.kv_at_join = r.prefill_target;
            let remaining = r.osl - r.generated;
            let (g, kv0) = (r.generation, r.kv_at_join);
            let first = r.first_token_ns == u64::MAX;
            self.batch.join(slot, g, step, kv0, remaining);
            self.running_order.push((slot, g));
            if first {
                self.first_step.push((slot, g));
            }
        }
    }

    /// Takes this step's KV blocks (preempting the newest requests if needed) and records the
    /// decode batch of the iteration (nothing when no request decodes).
    fn schedule_decode(&mut self, reqs: &mut RequestSlab) {
        if self.batch.count == 0 {
            return;
        }
        let step = self.decode_step;
        // Preempting a decoder also removes its own block need from the batch's count.
        while self.batch.blocks_needed(step) as u64 > self.kv.free() {
            if !self.preempt_newest(reqs) {
                break;
            }
        }
        if self.batch.count == 0 {
            return;
        }
        let need = (self.batch.blocks_needed(step) as u64).min(self.kv.free());
        self.alloc_blocks(need);
        self.iter_has_decode = true;
        self.iter_decode = (
            self.batch.count,
            self.batch.kv_tokens_before(step) + self.batch.count as i64,
        );
    }

    /// Schedules prefill chunks within `budget` tokens and records the iteration's prompt tokens
    /// and their attention sum.
    fn schedule_prefill(&mut self, now: u64, reqs: &mut RequestSlab, budget: u32) {
        let chunked = self.p.chunked_prefill && self.p.scheduler == SchedulerKind::Vllm;
        let mut budget = budget;
        let mut total: u64 = 0;
        let mut attention = 0.0;
        // 1. continue admitted prefills in order
        for i in 0..self.prefilling.len() {
            if budget == 0 {
                break;
            }
            let slot = self.prefilling[i];
            let r = reqs.get(slot);
            let rem = r.prefill_target - r.prefilled;
            let chunk = if chunked { rem.min(budget) } else { rem };
            if !chunked && chunk > budget && total > 0 {
                break;
            }
            let (p, c) = (r.prefilled as f64, chunk as f64);
            attention += c * (2.0 * p + c);
            self.chunks.push((slot, chunk));
            total += chunk as u64;
            budget = budget.saturating_sub(chunk);
        }
        // 2. admit waiting requests (FCFS; head-of-line blocking on KV)
        while budget > 0 {
            let Some(&slot) = self.waiting.front() else { break };
            if self.running() >= self.p.max_num_seqs {
                break;
            }
            let need = self.admission_blocks(reqs, slot);
            let (hits, hits_free) = self.cache_probe(reqs.get(slot));
            // cached blocks in use cost nothing; free cached ones are taken back into use
            if need - u64::from(hits) + u64::from(hits_free) > self.kv.free() {
                break;
            }
            let target = reqs.get(slot).prefill_target;
            let cached = (hits * self.kv.block_size).min(target);
            let rem = target - cached;
            if !chunked && rem > budget && total > 0 {
                break;
            }
            self.waiting.pop_front();
            if hits > 0 {
                let r = reqs.get(slot);
                if let (Some(c), Some(content)) = (&mut self.cache, r.content) {
                    let revived = c.acquire(
                        BlockHashes::new(content, self.kv.block_size, self.p.trace.as_deref()),
                        hits,
                    );
                    self.kv.alloc(u64::from(revived));
                }
            }
            self.alloc_blocks(need - u64::from(hits));
            if let (Some(c), true) = (&mut self.cache, reqs.get(slot).content.is_some()) {
                c.stats.lookups += 1;
                c.stats.lookup_tokens += u64::from(target);
                c.stats.hit_tokens += u64::from(cached);
            }
            let r = reqs.get_mut(slot);
            r.phase = Phase::Prefilling;
            r.prefilled = cached;
            r.prefix_blocks = hits;
            r.cached_tokens = cached;
            if r.first_scheduled_ns == u64::MAX {
                r.first_scheduled_ns = now;
            }
            let g = r.generation;
            self.prefilling.push_back(slot);
            self.running_order.push((slot, g));
            let chunk = if chunked { rem.min(budget) } else { rem };
            let p = cached as f64;
            attention += chunk as f64 * (2.0 * p + chunk as f64);
            self.chunks.push((slot, chunk));
            total += chunk as u64;
            budget = budget.saturating_sub(chunk);
        }
        self.iter_prefill = (total, attention);
        self.prefill_tokens_computed += total;
    }

    /// Preempts the newest running request; false if nothing is running.
    fn preempt_newest(&mut self, reqs: &mut RequestSlab) -> bool {
        while let Some((slot, g)) = self.running_order.pop() {
            let r = *reqs.get(slot);
            if r.generation != g || !(r.phase == Phase::Decoding || r.phase == Phase::Prefilling) {
                continue;
            }
            let step = self.decode_step;
            let r = reqs.get_mut(slot);
            match r.phase {
                Phase::Decoding => {
                    let progressed = (step - r.join_step) as u32;
                    let kv_now = r.kv_at_join + progressed;
                    self.batch.leave(r.join_step, r.kv_at_join);
                    r.generated += progressed;
                    let blocks = self.kv.blocks_for(kv_now as u64);
                    self.release_request(reqs, slot, blocks, u64::from(kv_now), false);
                }
                _ => {
                    let blocks = self.kv.blocks_for(r.prefill_target as u64);
                    self.prefilling.retain(|s| *s != slot);
                    self.release_request(reqs, slot, blocks, 0, false);
                }
            }
            let r = reqs.get_mut(slot);
            r.generation = r.generation.wrapping_add(1);
            r.phase = Phase::Waiting;
            r.prefilled = 0;
            r.prefill_target = r.isl + r.generated;
            r.preemptions += 1;
            self.preemptions += 1;
            self.waiting.push_front(slot);
            return true;
        }
        false
    }

    /// Ends the current iteration at `now`: advances decode and prefill progress and appends
    /// the requests that leave the engine to `exits`. Returns the hand-off time (ns) the engine
    /// stays busy for after the iteration (prefill workers with `prefill_handoff_ms`; else 0).
    pub fn finish_iteration(&mut self, now: u64, reqs: &mut RequestSlab, exits: &mut Vec<Exit>) -> u64 {
        self.busy = false;
        if self.iter_has_decode {
            self.tokens_generated += self.batch.count as u64;
            // Dynamo's path: the decode worker's first step emits the first token
            for (slot, g) in self.first_step.drain(..) {
                let r = reqs.get_mut(slot);
                if r.generation == g && r.phase == Phase::Decoding && r.first_token_ns == u64::MAX {
                    r.first_token_ns = now + r.latency_ns;
                }
            }
            let step = self.decode_step;
            while let Some((slot, g)) = self.batch.pop_finished(step) {
                let r = reqs.get_mut(slot);
                if r.generation != g || r.phase != Phase::Decoding {
                    continue;
                }
                let remaining = r.osl - r.generated;
                self.batch.leave(r.join_step, r.kv_at_join);
                let kv_tokens = r.kv_at_join as u64 + remaining as u64;
                r.generated = r.osl;
                r.generation = r.generation.wrapping_add(1);
                let blocks = self.kv.blocks_for(kv_tokens);
                // the last token's KV is never written: kv_tokens − 1 tokens hold content
                self.release_request(reqs, slot, blocks, kv_tokens.saturating_sub(1), true);
                self.outstanding -= 1;
                exits.push(Exit::Completed(slot));
            }
            self.decode_step += 1;
        }
        let mut prefills_done = 0u32;
        for i in 0..self.chunks.len() {
            let (slot, chunk) = self.chunks[i];
            let r = reqs.get_mut(slot);
            r.prefilled += chunk;
            if r.prefilled < r.prefill_target {
                continue;
            }
            prefills_done += 1;
            self.register_prefill(reqs, slot);
            let r = reqs.get_mut(slot);
            if self.p.role == Role::Prefill && self.p.first_token_on_decode {
                // Dynamo's path: no token here; the KV moves on and the decode worker's first
                // step emits the first token
                r.generation = r.generation.wrapping_add(1);
                r.phase = Phase::Transferring;
                r.held_blocks = self.kv.blocks_for(r.prefill_target as u64);
                self.outstanding -= 1;
                exits.push(Exit::PrefillDone(slot));
                continue;
            }
            r.generated += 1;
            self.tokens_generated += 1;
            if r.first_token_ns == u64::MAX {
                r.first_token_ns = now + r.latency_ns;
            }
            r.generation = r.generation.wrapping_add(1);
            if r.generated >= r.osl {
                let tokens = u64::from(r.prefill_target);
                self.release_request(reqs, slot, self.kv.blocks_for(tokens), tokens, true);
                self.outstanding -= 1;
                exits.push(Exit::Completed(slot));
            } else if self.p.role == Role::Prefill {
                r.phase = Phase::Transferring;
                r.held_blocks = self.kv.blocks_for(r.prefill_target as u64);
                self.outstanding -= 1;
                exits.push(Exit::PrefillDone(slot));
            } else {
                r.phase = Phase::Decoding;
                r.join_step = self.decode_step;
                r.kv_at_join = r.prefill_target;
                let (g, kv0, rem) = (r.generation, r.kv_at_join, r.osl - r.generated);
                self.batch.join(slot, g, self.decode_step, kv0, rem);
                self.running_order.push((slot, g));
            }
        }
        if prefills_done > 0 {
            self.prefilling.retain(|s| {
                let r = reqs.get(*s);
                r.phase == Phase::Prefilling && r.prefilled < r.prefill_target
            });
        }
        if self.running_order.len() > 64 && self.running_order.len() > 4 * self.running() as usize {
            self.running_order.retain(|(s, g)| {
                let r = reqs.get(*s);
                r.generation == *g && matches!(r.phase, Phase::Decoding | Phase::Prefilling)
            });
        }
        ms_to_ns(self.p.handoff_ms * prefills_done as f64)
    }

    /// Releases the `blocks` a prefill worker held for `slot`, whose KV transfer finished (its
    /// prompt blocks stay cached as free blocks).
    pub fn release_held(&mut self, reqs: &mut RequestSlab, slot: u32, blocks: u64) {
        let tokens = u64::from(reqs.get(slot).prefill_target);
        self.release_request(reqs, slot, blocks, tokens, false);
    }
}
