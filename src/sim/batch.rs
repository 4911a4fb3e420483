//! The decode batch of one engine, with **implicit per-request progress**.
//!
//! Every running request gains one token per decode step, so a request's state is a function
//! of the step counter: joining at step `j` with `L₀` KV tokens, before step `s` it holds
//! `L₀ + (s − j)` tokens. The batch keeps only aggregates — the count, `Σ(L₀ − j)` (so
//! Σ context = that + count·s) and, for block accounting, how many requests sit in each
//! phase class `(j − L₀) mod block_size` (exactly those cross a block boundary at steps
//! `s ≡ class`). Completions are a min-heap on the finishing step. Per-step work is therefore
//! O(1) plus O(log n) per request that finishes — never O(batch size).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Aggregates of the requests currently decoding on one engine.
#[derive(Debug, Clone)]
pub struct DecodeBatch {
    /// Requests in the batch.
    pub count: u32,
    /// Σ (KV tokens at join − join step) over the batch.
    sum_base: i64,
    /// Requests per phase class (length = block size).
    phase_counts: Vec<u32>,
    /// (finishing step, slot, generation) of every member; stale entries are skipped.
    finish: BinaryHeap<Reverse<(u64, u32, u32)>>,
}

impl DecodeBatch {
    /// An empty batch for KV blocks of `block_size` tokens.
    pub fn new(block_size: u32) -> Self {
        DecodeBatch {
            count: 0,
            sum_base: 0,
            phase_counts: vec![0; block_size as usize],
            finish: BinaryHeap::new(),
        }
    }

    #[inline]
    fn class(&self, join_step: u64, kv_at_join: u32) -> usize {
        let bs = self.phase_counts.len() as i64;
        (join_step as i64 - kv_at_join as i64).rem_euclid(bs) as usize
    }

    /// Adds a request joining at `join_step` with `kv_at_join` KV tokens that will produce
    /// `remaining` more tokens (its last at step `join_step + remaining − 1`).
    #[inline]
    pub fn join(&mut self, slot: u32, generation: u32, join_step: u64, kv_at_join: u32, remaining: u32) {
        debug_assert!(remaining >= 1);
        self.count += 1;
        self.sum_base += kv_at_join as i64 - join_step as i64;
        let c = self.class(join_step, kv_at_join);
        self.phase_counts[c] += 1;
        self.finish
            .push(Reverse((join_step + remaining as u64 - 1, slot, generation)));
    }

    /// Removes a member (finished or preempted); its heap entry must be invalidated by the
    /// caller bumping the request's generation (or popped already).
    #[inline]
    pub fn leave(&mut self, join_step: u64, kv_at_join: u32) {
        self.count -= 1;
        self.sum_base -= kv_at_join as i64 - join_step as i64;
        let c = self.class(join_step, kv_at_join);
        self.phase_counts[c] -= 1;
    }

    /// Σ KV tokens of the batch before step `step`.
    #[inline]
    pub fn kv_tokens_before(&self, step: u64) -> i64 {
        self.sum_base + self.count as i64 * step as i64
    }

    /// Members that need a new KV block to run step `step`.
    #[inline]
    pub fn blocks_needed(&self, step: u64) -> u32 {
        self.phase_counts[(step % self.phase_counts.len() as u64) as usize]
    }

    /// Pops the next heap entry finishing at `step` (possibly stale: check the generation).
    #[inline]
    pub fn pop_finished(&mut self, step: u64) -> Option<(u32, u32)> {
        match self.finish.peek() {
            Some(Reverse((s, _, _))) if *s <= step => self.finish.pop().map(|Reverse((_, slot, g))| (slot, g)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_track_explicit_state() {
        let bs = 4;
        let mut b = DecodeBatch::new(bs);
        // (join, kv0, remaining)
        let members = [(0u64, 5u32, 10u32), (2, 8, 3), (3, 1, 7)];
        let mut joined = vec![];
        for step in 0..12u64 {
            for (i, m) in members.iter().enumerate() {
                if m.0 == step {
                    b.join(i as u32, 0, m.0, m.1, m.2);
                    joined.push(i);
                }
            }
            let alive: Vec<_> = joined
                .iter()
                .filter(|&&i| step < members[i].0 + members[i].2 as u64)
                .collect();
            let explicit_kv: i64 = alive
                .iter()
                .map(|&&i| (members[i].1 as u64 + step - members[i].0) as i64)
                .sum();
            assert_eq!(b.kv_tokens_before(step), explicit_kv, "step {step}");
            let explicit_need = alive
                .iter()
                .filter(|&&&i| (members[i].1 as u64 + step - members[i].0) % bs as u64 == 0)
                .count() as u32;
            assert_eq!(b.blocks_needed(step), explicit_need, "step {step}");
            while let Some((slot, _)) = b.pop_finished(step) {
                let m = members[slot as usize];
                assert_eq!(m.0 + m.2 as u64 - 1, step);
                b.leave(m.0, m.1);
            }
        }
        assert_eq!(b.count, 0);
    }
}
