//! One engine (a replica in `agg`, a prefill or decode worker in `disagg`) and its scheduler.
//!
//! An engine runs **iterations**. At the start of each, the scheduler picks the batch from its
//! running and waiting requests under `max_num_seqs`, `max_batched_tokens` and free KV blocks;
//! the iteration's duration comes from the profile:
//!
//! * prefill part: prefill curve at S = prompt tokens scheduled in the iteration, × prefill scale;
//! * decode part: decode surface at (Σ KV tokens of the batch ÷ the surface's KV scale, mean
//!   context), × decode scale — KV counted after this step's token is written;
//! * a mixed iteration is the sum of both; plus `iteration_overhead_ms`.
//! * A prefill worker then stays busy `prefill_handoff_ms` per request whose prefill completed
//!   in the iteration ([`Engine::finish_iteration`] returns that time): the first token is out
//!   when the compute ends, so the hand-off occupies the worker without being on the TTFT path,
//!   and the KV transfer starts when the hand-off ends.
//!
//! At its end every decoding request in the batch has one more token and prefill chunks
//! advance. KV is block-granular: admission takes the blocks of the whole prompt (or
//! recompute); a decoding request takes a block when its KV crosses a block boundary; when a
//! block is needed and none is free, the newest running request is preempted (recompute: its KV
//! is freed and it returns to the head of the waiting queue).

use super::batch::DecodeBatch;
use super::calibration::Calibration;
use super::deployment::{Deployment, EngineSpec, SchedulerKind};
use super::kv::KvBlockPool;
use super::request::{Phase, RequestSlab};
use crate::profile::{DecodeSurface, PrefillCurve, Role};
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
    /// Prefill time multiplier.
    pub prefill_scale: f64,
    /// Decode time multiplier.
    pub decode_scale: f64,
    /// Per-iteration overhead, ms.
    pub iteration_overhead_ms: f64,
    /// Prefill-worker busy time per completed prefill, ms.
    pub handoff_ms: f64,
    /// Fixed TTFT overhead, ns.
    pub ttft_overhead_ns: u64,
}

impl EngineParams {
    /// Parameters of engines of type `spec` in `dep` under calibration `cal`.
    pub fn new(dep: &Deployment, spec: &EngineSpec, cal: &Calibration) -> Self {
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
            iteration_overhead_ms: cal.iteration_overhead_ms,
            handoff_ms: if spec.role == Role::Prefill {
                cal.prefill_handoff_ms
            } else {
                0.0
            },
            ttft_overhead_ns: ms_to_ns(cal.ttft_overhead_ms),
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
    // Current iteration:
    chunks: Vec<(u32, u32)>,
    iter_has_decode: bool,
}

impl Engine {
    /// A new idle engine.
    pub fn new(p: EngineParams, kv_capacity_tokens: u64, block_size: u32) -> Self {
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
            chunks: Vec::new(),
            iter_has_decode: false,
        }
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

    /// Starts an iteration at `now` if there is work; returns its duration in ns.
    pub fn start_iteration(&mut self, now: u64, reqs: &mut RequestSlab) -> Option<u64> {
        debug_assert!(!self.busy);
        self.chunks.clear();
        self.iter_has_decode = false;
        let mut ms = match (self.p.role, self.p.scheduler) {
            (Role::Decode, _) => {
                self.admit_decoders(now, reqs);
                self.schedule_decode(reqs)
            }
            (Role::Prefill, _) => self.schedule_prefill(now, reqs, self.p.max_batched_tokens),
            (Role::Agg, SchedulerKind::Vllm) => {
                let d = self.schedule_decode(reqs);
                let budget = self.p.max_batched_tokens.saturating_sub(self.batch.count);
                d + self.schedule_prefill(now, reqs, budget)
            }
            (Role::Agg, SchedulerKind::PrefillFirst) => {
                let p = self.schedule_prefill(now, reqs, self.p.max_batched_tokens);
                if self.chunks.is_empty() {
                    self.schedule_decode(reqs)
                } else {
                    p
                }
            }
        };
        if self.chunks.is_empty() && !self.iter_has_decode {
            return None;
        }
        ms += self.p.iteration_overhead_ms;
        self.peak_kv_blocks = self.peak_kv_blocks.max(self.kv.used());
        self.busy = true;
        self.iterations += 1;
        Some(ms_to_ns(ms).max(1))
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
            self.batch.join(slot, g, step, kv0, remaining);
            self.running_order.push((slot, g));
        }
    }

    /// Takes this step's KV blocks (preempting the newest requests if needed) and returns the
    /// decode part of the iteration time, ms (0 when nothing decodes).
    fn schedule_decode(&mut self, reqs: &mut RequestSlab) -> f64 {
        if self.batch.count == 0 {
            return 0.0;
        }
        let step = self.decode_step;
        // Preempting a decoder also removes its own block need from the batch's count.
        while self.batch.blocks_needed(step) as u64 > self.kv.free() {
            if !self.preempt_newest(reqs) {
                break;
            }
        }
        if self.batch.count == 0 {
            return 0.0;
        }
        let need = (self.batch.blocks_needed(step) as u64).min(self.kv.free());
        self.kv.alloc(need);
        self.iter_has_decode = true;
        let kv_tokens = (self.batch.kv_tokens_before(step) + self.batch.count as i64) as f64;
        let mean = kv_tokens / self.batch.count as f64;
        match &self.p.decode {
            Some(d) => d.itl_ms_for_batch(kv_tokens, mean) * self.p.decode_scale,
            None => 0.0,
        }
    }

    /// Schedules prefill chunks within `budget` tokens; returns the prefill time, ms.
    fn schedule_prefill(&mut self, now: u64, reqs: &mut RequestSlab, budget: u32) -> f64 {
        let chunked = self.p.chunked_prefill && self.p.scheduler == SchedulerKind::Vllm;
        let mut budget = budget;
        let mut total: u64 = 0;
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
            if need > self.kv.free() {
                break;
            }
            let target = reqs.get(slot).prefill_target;
            if !chunked && target > budget && total > 0 {
                break;
            }
            self.waiting.pop_front();
            self.kv.alloc(need);
            let r = reqs.get_mut(slot);
            r.phase = Phase::Prefilling;
            r.prefilled = 0;
            if r.first_scheduled_ns == u64::MAX {
                r.first_scheduled_ns = now;
            }
            let g = r.generation;
            self.prefilling.push_back(slot);
            self.running_order.push((slot, g));
            let chunk = if chunked { target.min(budget) } else { target };
            self.chunks.push((slot, chunk));
            total += chunk as u64;
            budget = budget.saturating_sub(chunk);
        }
        if total == 0 {
            return 0.0;
        }
        match &self.p.prefill {
            Some(c) => c.ttft_ms(total as f64) * self.p.prefill_scale,
            None => 0.0,
        }
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
                    self.kv.release(self.kv.blocks_for(kv_now as u64));
                    r.generated += progressed;
                }
                _ => {
                    self.kv.release(self.kv.blocks_for(r.prefill_target as u64));
                    self.prefilling.retain(|s| *s != slot);
                }
            }
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
            let step = self.decode_step;
            while let Some((slot, g)) = self.batch.pop_finished(step) {
                let r = reqs.get_mut(slot);
                if r.generation != g || r.phase != Phase::Decoding {
                    continue;
                }
                let remaining = r.osl - r.generated;
                self.batch.leave(r.join_step, r.kv_at_join);
                self.kv
                    .release(self.kv.blocks_for(r.kv_at_join as u64 + remaining as u64));
                r.generated = r.osl;
                r.generation = r.generation.wrapping_add(1);
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
            r.generated += 1;
            self.tokens_generated += 1;
            if r.first_token_ns == u64::MAX {
                r.first_token_ns = now + self.p.ttft_overhead_ns;
            }
            r.generation = r.generation.wrapping_add(1);
            if r.generated >= r.osl {
                self.kv.release(self.kv.blocks_for(r.prefill_target as u64));
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

    /// Releases blocks a prefill worker held for a request whose KV transfer finished.
    pub fn release_held(&mut self, blocks: u64) {
        self.kv.release(blocks);
    }
}
