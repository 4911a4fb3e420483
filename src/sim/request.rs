//! Per-request simulation state, stored in a slab whose slots are reused after completion so
//! memory stays bounded by the number of requests in flight.

/// Where a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// In an engine's waiting queue.
    Waiting,
    /// Admitted; its prompt (or recompute) is being prefilled.
    Prefilling,
    /// Admitted; generating tokens in the decode batch.
    Decoding,
    /// Prefilled on a prefill worker; KV moving to the decode worker.
    Transferring,
    /// Finished (slot free).
    Done,
}

/// Simulation state of one request.
#[derive(Debug, Clone, Copy)]
pub struct Req {
    /// Sequential id (order of arrival).
    pub id: u64,
    /// Prompt tokens.
    pub isl: u32,
    /// Output tokens to generate.
    pub osl: u32,
    /// Arrival time, ns.
    pub arrival_ns: u64,
    /// First time any of its prompt was scheduled, ns (u64::MAX until then).
    pub first_scheduled_ns: u64,
    /// First output token time, ns (u64::MAX until then).
    pub first_token_ns: u64,
    /// Output tokens produced so far.
    pub generated: u32,
    /// Tokens to prefill in the current attempt (ISL, or ISL + generated on recompute).
    pub prefill_target: u32,
    /// Tokens of the current attempt prefilled so far.
    pub prefilled: u32,
    /// Decode step at which it joined the current engine's decode batch.
    pub join_step: u64,
    /// KV tokens it held when it joined.
    pub kv_at_join: u32,
    /// Engine it is on (agg engine, prefill worker, or decode worker).
    pub engine: u32,
    /// Decode worker chosen for it (disaggregated serving).
    pub decode_engine: u32,
    /// Blocks it holds on the prefill worker during a KV transfer.
    pub held_blocks: u64,
    /// Times it was preempted.
    pub preemptions: u32,
    /// Latency off the engines between it and the client, ns: the frontend latency (with its
    /// jitter) plus the per-request latency of the profile of the engine that prefilled it.
    /// Its first and last tokens reach the client this long after the engine produced them.
    pub latency_ns: u64,
    /// Content identity (prefix caching, KV-aware routing); `None`: its prompt is new.
    pub content: Option<crate::workload::content::ContentRef>,
    /// Leading full KV blocks it holds a prefix-cache reference on (hit or registered).
    pub prefix_blocks: u32,
    /// Prompt tokens found in the prefix cache at its (latest) admission.
    pub cached_tokens: u32,
    /// Bumped whenever a heap entry for it becomes stale.
    pub generation: u32,
    /// Where it is.
    pub phase: Phase,
}

/// Slab of requests with slot reuse.
#[derive(Debug, Default)]
pub struct RequestSlab {
    slots: Vec<Req>,
    free: Vec<u32>,
}

impl RequestSlab {
    /// Stores `r`, returning its slot.
    #[inline]
    pub fn insert(&mut self, r: Req) -> u32 {
        if let Some(s) = self.free.pop() {
            self.slots[s as usize] = r;
            s
        } else {
            self.slots.push(r);
            (self.slots.len() - 1) as u32
        }
    }

    /// Frees `slot` for reuse.
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        self.slots[slot as usize].phase = Phase::Done;
        self.slots[slot as usize].generation = self.slots[slot as usize].generation.wrapping_add(1);
        self.free.push(slot);
    }

    /// The request in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> &Req {
        &self.slots[slot as usize]
    }

    /// The request in `slot`, mutably.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Req {
        &mut self.slots[slot as usize]
    }

    /// Slots ever allocated (peak requests in flight).
    pub fn high_water(&self) -> usize {
        self.slots.len()
    }
}
