//! KV-cache block pool of one engine.

/// Block-granular KV-cache accounting: `capacity` blocks of `block_size` tokens each.
#[derive(Debug, Clone)]
pub struct KvBlockPool {
    /// Tokens per block.
    pub block_size: u32,
    /// Total blocks.
    pub capacity: u64,
    used: u64,
}

impl KvBlockPool {
    /// A pool holding `capacity_tokens` tokens (rounded down to whole blocks).
    pub fn new(capacity_tokens: u64, block_size: u32) -> Self {
        KvBlockPool {
            block_size,
            capacity: capacity_tokens / block_size as u64,
            used: 0,
        }
    }

    /// Blocks needed to hold `tokens` tokens.
    #[inline]
    pub fn blocks_for(&self, tokens: u64) -> u64 {
        tokens.div_ceil(self.block_size as u64)
    }

    /// Free blocks.
    #[inline]
    pub fn free(&self) -> u64 {
        self.capacity - self.used
    }

    /// Blocks in use.
    #[inline]
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Fraction of blocks in use.
    #[inline]
    pub fn usage(&self) -> f64 {
        if self.capacity == 0 {
            1.0
        } else {
            self.used as f64 / self.capacity as f64
        }
    }

    /// Takes `n` blocks; the caller has checked [`Self::free`].
    #[inline]
    pub fn alloc(&mut self, n: u64) {
        debug_assert!(n <= self.free(), "KV over-allocation");
        self.used += n;
    }

    /// Returns `n` blocks.
    #[inline]
    pub fn release(&mut self, n: u64) {
        debug_assert!(n <= self.used, "KV double free");
        self.used -= n;
    }
}
