//! Automatic prefix caching of one engine, with vLLM's semantics.
//!
//! * **Identity.** A full KV block (`block_size` tokens) is identified by a hash of its content
//!   and every block before it ([`crate::workload::content::BlockHashes`]); partial blocks are
//!   never cached.
//! * **Lookup on admission.** The longest run of a prompt's leading blocks present in the cache
//!   is reused: those tokens are not prefilled (the prefill starts after them, with the
//!   attention over them as already-computed context), but the blocks count as in use by the
//!   request. At least one token is always computed (vLLM recomputes the last block of a fully
//!   cached prompt), so at most `⌊(prompt − 1) / block_size⌋` blocks hit.
//! * **Registration.** When a request's prefill completes, its newly computed full prompt
//!   blocks join the cache (a block another request registered meanwhile is shared instead,
//!   and the duplicate freed). When it completes, its full blocks of generated tokens whose
//!   content is known (a session's response, which the next turn's prompt repeats) are cached
//!   too.
//! * **Free but cached.** A block whose last user finishes stays cached and counts as **free**:
//!   a new allocation takes never-cached free blocks first and then evicts cached free blocks,
//!   least recently freed first; a request's blocks are freed tail first, so a prompt's tail
//!   is evicted before its head (as vLLM does). A lookup that hits a free cached block takes it
//!   back into use.
//!
//! Where SGLang's radix cache differs (not modelled): it caches at token granularity (no
//! partial-block loss), evicts leaves of its radix tree LRU, and shares a prefix only along the
//! tree, with the same effect on these workloads up to the last partial block. The cache lives on
//! aggregated engines and disaggregated prefill workers; decode workers receive the KV of each
//! request by transfer and do not look prompts up.
//!
//! Cost: a hash-map operation per block looked up, registered or freed; the map and the LRU
//! queue are bounded by the engine's KV capacity, not by the workload.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, VecDeque};

/// A cached block: how many running requests use it, and when it was last freed.
#[derive(Debug, Clone, Copy)]
struct Entry {
    refs: u32,
    freed_at: u64,
}

/// Counters of one engine's prefix cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PrefixCacheStats {
    /// Admissions that looked their prompt up.
    pub lookups: u64,
    /// Prompt tokens looked up (Σ over admissions, recomputes included).
    pub lookup_tokens: u64,
    /// Of those, tokens found cached (not prefilled).
    pub hit_tokens: u64,
    /// Cached blocks evicted to make room.
    pub evictions: u64,
}

/// The prefix cache of one engine (see the module docs). Block accounting stays with the
/// engine's [`super::kv::KvBlockPool`]: this type tracks which blocks are cached, how many of
/// them are free, and tells the pool what to take and return.
#[derive(Debug, Default)]
pub struct PrefixCache {
    map: HashMap<u64, Entry, nohash_hasher::BuildNoHashHasher<u64>>,
    /// Free cached blocks in the order they were freed (lazy: entries whose block was taken
    /// back or evicted are skipped).
    lru: VecDeque<(u64, u64)>,
    clock: u64,
    /// Cached blocks with no user (free, evictable).
    cached_free: u64,
    /// Counters.
    pub stats: PrefixCacheStats,
}

impl PrefixCache {
    /// An empty cache.
    pub fn new() -> Self {
        PrefixCache::default()
    }

    /// Free blocks that hold cached content (counted as free by the pool).
    #[inline]
    pub fn cached_free(&self) -> u64 {
        self.cached_free
    }

    /// Whether the block `hash` is cached (in use or free).
    #[inline]
    pub fn contains(&self, hash: u64) -> bool {
        self.map.contains_key(&hash)
    }

    /// Leading blocks of `hashes` that are cached, up to `max`; and how many of those are free
    /// (a hit on them takes a free block back into use).
    pub fn probe(&self, hashes: impl Iterator<Item = u64>, max: u32) -> (u32, u32) {
        let (mut hits, mut free) = (0u32, 0u32);
        for h in hashes.take(max as usize) {
            match self.map.get(&h) {
                Some(e) => {
                    hits += 1;
                    if e.refs == 0 {
                        free += 1;
                    }
                }
                None => break,
            }
        }
        (hits, free)
    }

    /// Takes a reference on each of the first `n` blocks of `hashes` (all cached: see
    /// [`Self::probe`]); returns how many were free (now in use).
    pub fn acquire(&mut self, hashes: impl Iterator<Item = u64>, n: u32) -> u32 {
        let mut revived = 0;
        for h in hashes.take(n as usize) {
            if let Some(e) = self.map.get_mut(&h) {
                if e.refs == 0 {
                    revived += 1;
                    self.cached_free -= 1;
                }
                e.refs += 1;
            }
        }
        revived
    }

    /// Registers blocks a request just computed and holds: for each, a new cached block with
    /// one user, or, when the block is already cached, a reference on it. Returns (blocks the
    /// request now shares with an existing entry — its own copies are to be freed —, of those,
    /// entries that were free and are now in use).
    pub fn register_held(&mut self, hashes: impl Iterator<Item = u64>) -> (u32, u32) {
        let (mut dup, mut revived) = (0, 0);
        for h in hashes {
            // one lookup per block: the entry API finds or inserts
            match self.map.entry(h) {
                MapEntry::Occupied(mut o) => {
                    let e = o.get_mut();
                    dup += 1;
                    if e.refs == 0 {
                        revived += 1;
                        self.cached_free -= 1;
                    }
                    e.refs += 1;
                }
                MapEntry::Vacant(v) => {
                    v.insert(Entry { refs: 1, freed_at: 0 });
                }
            }
        }
        (dup, revived)
    }

    /// Drops one reference on each block of `hashes`, **given tail first**; blocks left with no
    /// user become free cached blocks. Returns how many became free.
    pub fn release(&mut self, hashes_tail_first: impl Iterator<Item = u64>) -> u32 {
        let mut freed = 0;
        for h in hashes_tail_first {
            if let Some(e) = self.map.get_mut(&h) {
                e.refs = e.refs.saturating_sub(1);
                if e.refs == 0 {
                    self.clock += 1;
                    e.freed_at = self.clock;
                    self.lru.push_back((h, self.clock));
                    self.cached_free += 1;
                    freed += 1;
                }
            }
        }
        freed
    }

    /// Caches blocks a finishing request computed but never registered (generated tokens with
    /// known content), **given tail first**, as free cached blocks; returns how many were cached
    /// (the others were already cached: plain free blocks).
    pub fn insert_free(&mut self, hashes_tail_first: impl Iterator<Item = u64>) -> u32 {
        let mut cached = 0;
        for h in hashes_tail_first {
            if let MapEntry::Vacant(v) = self.map.entry(h) {
                self.clock += 1;
                v.insert(Entry {
                    refs: 0,
                    freed_at: self.clock,
                });
                self.lru.push_back((h, self.clock));
                self.cached_free += 1;
                cached += 1;
            }
        }
        cached
    }

    /// Evicts up to `n` free cached blocks, least recently freed first; returns how many.
    pub fn evict(&mut self, n: u64) -> u64 {
        let mut done = 0;
        while done < n {
            let Some((h, t)) = self.lru.pop_front() else { break };
            if matches!(self.map.get(&h), Some(e) if e.refs == 0 && e.freed_at == t) {
                self.map.remove(&h);
                self.cached_free -= 1;
                done += 1;
            }
        }
        self.stats.evictions += done;
        if self.lru.len() > 1024 && self.lru.len() > 4 * self.cached_free as usize {
            let map = &self.map;
            self.lru
                .retain(|(h, t)| matches!(map.get(h), Some(e) if e.refs == 0 && e.freed_at == *t));
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_release_and_lru_eviction() {
        let mut c = PrefixCache::new();
        assert_eq!(c.register_held([1, 2, 3].into_iter()), (0, 0));
        assert_eq!(c.probe([1, 2, 9].into_iter(), 10), (2, 0));
        // freed tail first: 3, 2, 1 — 3 is evicted first
        assert_eq!(c.release([3, 2, 1].into_iter()), 3);
        assert_eq!(c.cached_free(), 3);
        assert_eq!(c.probe([1, 2, 3].into_iter(), 10), (3, 3));
        assert_eq!(c.evict(1), 1);
        assert_eq!(c.probe([1, 2, 3].into_iter(), 10), (2, 2));
        // a hit takes a free block back into use; it is not evicted then
        assert_eq!(c.acquire([1].into_iter(), 1), 1);
        assert_eq!(c.evict(5), 1, "only block 2 is free");
        assert_eq!(c.probe([1, 2].into_iter(), 10), (1, 0));
        assert_eq!(c.stats.evictions, 2);
        // a duplicate registration shares the entry
        assert_eq!(c.register_held([1, 7].into_iter()), (1, 0));
        assert_eq!(c.release([7, 1].into_iter()), 1, "1 still has a user");
        assert_eq!(c.release([1].into_iter()), 1);
        assert_eq!(c.insert_free([8, 1].into_iter()), 1, "1 is already cached");
    }
}
