//! Bounded-memory distributions for the streaming collector.
//!
//! [`Dist`] keeps, per metric, exact count / mean / standard deviation / min / max (shifted sums,
//! no division per value) and a log-linear histogram of an integer *key* (the value in a fine
//! integer unit: ns, ps, milli-tokens/s, tokens). The histogram splits every power-of-two range
//! `[2^e, 2^(e+1))` into 2^10 equal buckets, and keys below 2^11 get one bucket each (exact).
//! A bucket's relative width is therefore ≤ 2^-10; a percentile reads the order statistics from
//! their buckets' midpoints (≤ 2^-11 ≈ 0.05 % relative error each, and a linear interpolation of
//! two such values keeps that bound), then clamps to the exact [min, max]. The bucket array has a
//! fixed length covering every `u64` key, so memory does not depend on the number of values.
//!
//! [`JointHist`] is a coarse 2-D histogram of (TTFT, ITL) used to estimate the number of requests
//! meeting an SLA that was not known while recording (see [`JointHist::count_meeting`]).

use super::percentile::{lerp, rank, Summary, AIPERF_PERCENTILES};

/// Sub-bucket bits: each power-of-two range is split into 2^P equal buckets.
const P: u32 = 10;
/// Keys below this are counted exactly (one bucket per integer).
const LINEAR_LIMIT: u64 = 1 << (P + 1);
/// Number of buckets covering every `u64` key.
pub(crate) const BUCKETS: usize = (65 - P as usize) << P;

/// Bucket of `key`.
#[inline(always)]
pub(crate) fn bucket_index(key: u64) -> usize {
    if key < LINEAR_LIMIT {
        key as usize
    } else {
        let e = 63 - key.leading_zeros();
        let shift = e - P;
        ((shift as usize) << P) + (key >> shift) as usize
    }
}

/// Lowest key of bucket `i` and its width (number of keys), as f64.
pub(crate) fn bucket_bounds(i: usize) -> (f64, f64) {
    if i < LINEAR_LIMIT as usize {
        (i as f64, 1.0)
    } else {
        let shift = (i >> P) - 1;
        let sub = i - (shift << P);
        let width = (2.0f64).powi(shift as i32);
        (sub as f64 * width, width)
    }
}

/// Representative key of bucket `i`: the midpoint of the integer keys it holds.
fn bucket_mid(i: usize) -> f64 {
    let (lo, width) = bucket_bounds(i);
    lo + (width - 1.0) / 2.0
}

/// Streaming distribution of one metric: exact moments and extremes, log-linear histogram.
///
/// Everything is kept in *key units* (ns, ps, milli-tokens/s, tokens) and divided by `divisor`
/// only when summarised, so adding a value costs no division.
#[derive(Clone)]
pub(crate) struct Dist {
    counts: Box<[u64]>,
    /// Key units per output unit (e.g. 1e6 for a key in ns and values in ms).
    divisor: f64,
    n: u64,
    /// Shift of the shifted sums (the first value), key units.
    shift: f64,
    s1: f64,
    s2: f64,
    min: f64,
    max: f64,
}

impl Dist {
    /// An empty distribution whose output values are `key / divisor`.
    pub(crate) fn new(divisor: f64) -> Self {
        Dist {
            counts: vec![0u64; BUCKETS].into_boxed_slice(),
            divisor,
            n: 0,
            shift: 0.0,
            s1: 0.0,
            s2: 0.0,
            min: 0.0,
            max: 0.0,
        }
    }

    /// Adds one value: `key` is its integer histogram key and `x` the exact value in key units
    /// (`key` is `x` rounded). O(1), no allocation, no division.
    #[inline(always)]
    pub(crate) fn add(&mut self, key: u64, x: f64) {
        // `bucket_index < BUCKETS` for every u64 key.
        if let Some(c) = self.counts.get_mut(bucket_index(key)) {
            *c += 1;
        }
        if self.n == 0 {
            self.shift = x;
            self.min = x;
            self.max = x;
        }
        let d = x - self.shift;
        self.s1 += d;
        self.s2 += d * d;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        self.n += 1;
    }

    /// Adds an integer value (its own key).
    #[inline(always)]
    pub(crate) fn add_int(&mut self, key: u64) {
        self.add(key, key as f64);
    }

    /// Number of values added.
    #[cfg(test)]
    pub(crate) fn count(&self) -> u64 {
        self.n
    }

    /// Length of the bucket array (constant).
    #[cfg(test)]
    pub(crate) fn buckets_len(&self) -> usize {
        self.counts.len()
    }

    /// Heap bytes held (constant).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.counts.len() * std::mem::size_of::<u64>()
    }

    /// Values (key units) of the 0-based order statistics `ks` (ascending, each < count).
    fn order_stats(&self, ks: &[u64]) -> Vec<f64> {
        let mut out = vec![self.max; ks.len()];
        if self.n == 0 {
            return out;
        }
        // Buckets that can hold values (±1 for keys above 2^53, where f64 rounds).
        let lo = bucket_index(to_key(self.min)).saturating_sub(1);
        let hi = (bucket_index(to_key(self.max)) + 1).min(BUCKETS - 1);
        let mut j = 0;
        let mut cum = 0u64;
        for (i, &c) in self.counts.iter().enumerate().take(hi + 1).skip(lo) {
            if c == 0 {
                continue;
            }
            cum += c;
            while j < ks.len() && ks[j] < cum {
                out[j] = bucket_mid(i).max(self.min).min(self.max);
                j += 1;
            }
            if j == ks.len() {
                break;
            }
        }
        out
    }

    /// Summary in output units: exact count/mean/std/min/max, percentiles from the histogram
    /// (numpy-linear rule on the approximated order statistics).
    pub(crate) fn summary(&self) -> Summary {
        if self.n == 0 {
            return Summary::default();
        }
        let n = self.n as f64;
        let mean = self.shift + self.s1 / n;
        let var = ((self.s2 - self.s1 * self.s1 / n) / n).max(0.0);
        let ranks: Vec<(u64, u64, f64)> = AIPERF_PERCENTILES.iter().map(|&p| rank(self.n, p)).collect();
        let mut ks: Vec<u64> = ranks.iter().flat_map(|&(lo, hi, _)| [lo, hi]).collect();
        ks.sort_unstable();
        ks.dedup();
        let vals = self.order_stats(&ks);
        let value_of = |k: u64| {
            ks.binary_search(&k)
                .ok()
                .and_then(|i| vals.get(i).copied())
                .unwrap_or(self.max)
                / self.divisor
        };
        let mut pct = [0.0; 9];
        for (out, &(lo, hi, t)) in pct.iter_mut().zip(&ranks) {
            *out = lerp(value_of(lo), value_of(hi), t);
        }
        Summary {
            count: self.n,
            mean: mean.max(self.min).min(self.max) / self.divisor,
            std: var.sqrt() / self.divisor,
            min: self.min / self.divisor,
            max: self.max / self.divisor,
            pct,
        }
        .finite()
    }
}

/// A non-negative finite value rounded to an integer histogram key (saturating; NaN → 0).
#[inline(always)]
pub(crate) fn to_key(x: f64) -> u64 {
    (x + 0.5) as u64
}

/// Sub-bucket bits of the joint histogram (64 buckets per power of two: ≤ 1.6 % wide).
const JP: u32 = 6;
const JSUB: usize = 1 << JP;

/// One log-linear axis of the joint histogram over ns values in `[2^emin, 2^emax)`, with an
/// underflow bucket `[0, 2^emin)` (index 0) and an overflow bucket (last index).
#[derive(Clone, Copy)]
struct Axis {
    emin: u32,
    emax: u32,
}

impl Axis {
    const fn len(&self) -> usize {
        (((self.emax - self.emin) as usize) << JP) + 2
    }

    #[inline(always)]
    fn index(&self, ns: u64) -> usize {
        if ns < (1u64 << self.emin) {
            0
        } else if ns >= (1u64 << self.emax) {
            self.len() - 1
        } else {
            let e = 63 - ns.leading_zeros();
            let sub = ((ns >> (e - JP)) as usize) & (JSUB - 1);
            1 + (((e - self.emin) as usize) << JP) + sub
        }
    }

    /// Share of bucket `i`'s (integer ns) values that are ≤ `limit_ns`, assuming they are spread
    /// uniformly over the bucket; `max_ns` bounds the overflow bucket.
    fn share_at_most(&self, i: usize, limit_ns: f64, max_ns: f64) -> f64 {
        let (lo, hi) = if i == 0 {
            (0.0, (1u64 << self.emin) as f64)
        } else if i == self.len() - 1 {
            let lo = (1u64 << self.emax) as f64;
            (lo, (max_ns + 1.0).max(lo + 1.0))
        } else {
            let octave = ((i - 1) >> JP) as u32 + self.emin;
            let sub = ((i - 1) & (JSUB - 1)) as f64;
            let width = (2.0f64).powi((octave - JP) as i32);
            let lo = (2.0f64).powi(octave as i32) + sub * width;
            (lo, lo + width)
        };
        ((limit_ns.floor() - lo + 1.0) / (hi - lo)).clamp(0.0, 1.0)
    }
}

/// TTFT axis: 2^20 ns (1.05 ms) … 2^40 ns (18.3 min).
const TTFT_AXIS: Axis = Axis { emin: 20, emax: 40 };
/// ITL axis: 2^16 ns (65.5 µs) … 2^31 ns (2.1 s).
const ITL_AXIS: Axis = Axis { emin: 16, emax: 31 };
/// Columns: one per ITL bucket plus a last column for requests without ITL (osl ≤ 1).
const JOINT_COLS: usize = ITL_AXIS.len() + 1;
const JOINT_ROWS: usize = TTFT_AXIS.len();

/// Coarse joint histogram of (TTFT, ITL) in ns, fixed size (1282 × 963 `u32` cells ≈ 4.9 MB).
#[derive(Clone)]
pub(crate) struct JointHist {
    cells: Box<[u32]>,
    max_ttft_ns: u64,
    max_itl_ns: u64,
}

impl JointHist {
    pub(crate) fn new() -> Self {
        JointHist {
            cells: vec![0u32; JOINT_ROWS * JOINT_COLS].into_boxed_slice(),
            max_ttft_ns: 0,
            max_itl_ns: 0,
        }
    }

    /// Adds one request; `itl_ns` is `None` when it has no ITL (osl ≤ 1).
    #[inline(always)]
    pub(crate) fn add(&mut self, ttft_ns: u64, itl_ns: Option<u64>) {
        let row = TTFT_AXIS.index(ttft_ns);
        let col = match itl_ns {
            Some(v) => {
                self.max_itl_ns = self.max_itl_ns.max(v);
                ITL_AXIS.index(v)
            }
            None => JOINT_COLS - 1,
        };
        self.max_ttft_ns = self.max_ttft_ns.max(ttft_ns);
        if let Some(c) = self.cells.get_mut(row * JOINT_COLS + col) {
            *c = c.saturating_add(1);
        }
    }

    /// Heap bytes held (constant).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.cells.len() * std::mem::size_of::<u32>()
    }

    /// Estimated number of requests with TTFT ≤ `ttft_ms` and (no ITL or ITL ≤ `itl_ms`). Exact
    /// except for requests in the cells the two limits cut through, which are counted in
    /// proportion to the part of the cell under the limit (uniform spread within the cell).
    pub(crate) fn count_meeting(&self, ttft_ms: f64, itl_ms: f64) -> f64 {
        let t_ns = ttft_ms * 1e6;
        let i_ns = itl_ms * 1e6;
        let row_share: Vec<f64> = (0..JOINT_ROWS)
            .map(|r| TTFT_AXIS.share_at_most(r, t_ns, self.max_ttft_ns as f64))
            .collect();
        let mut col_share: Vec<f64> = (0..JOINT_COLS - 1)
            .map(|c| ITL_AXIS.share_at_most(c, i_ns, self.max_itl_ns as f64))
            .collect();
        col_share.push(1.0);
        let mut total = 0.0;
        for (row, rs) in self.cells.chunks_exact(JOINT_COLS).zip(&row_share) {
            if *rs == 0.0 {
                continue;
            }
            let mut row_sum = 0.0;
            for (&c, cs) in row.iter().zip(&col_share) {
                if c != 0 {
                    row_sum += c as f64 * cs;
                }
            }
            total += row_sum * rs;
        }
        if total.is_finite() {
            total
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_tight() {
        // Every bucket's bounds map back to it, consecutive buckets touch, widths are 1 (exact) below
        // 2^11 and ≤ 2^-10 relative above.
        let mut prev_end = 0.0;
        for i in 0..BUCKETS {
            let (lo, w) = bucket_bounds(i);
            assert_eq!(lo, prev_end, "bucket {i}");
            prev_end = lo + w;
            if lo >= LINEAR_LIMIT as f64 {
                assert!(w / lo <= 1.0 / 1024.0 + 1e-15, "bucket {i}: {w}/{lo}");
            }
            if lo + w < 9.0e15 {
                // (above 2^53 the f64 bounds are not exact integers)
                assert_eq!(bucket_index(lo as u64), i);
                assert_eq!(bucket_index((lo + w - 1.0) as u64), i);
            }
        }
        assert_eq!(bucket_index(u64::MAX), BUCKETS - 1);
        assert_eq!(prev_end, 2f64.powi(64));
    }

    #[test]
    fn small_keys_are_exact() {
        let mut d = Dist::new(1.0);
        for k in [5u64, 1, 4, 1, 5, 9, 2, 6, 5, 3] {
            d.add_int(k);
        }
        let s = d.summary();
        let exact = Summary::from_unsorted(vec![5.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]);
        for (a, b) in s.pct.iter().zip(exact.pct) {
            approx::assert_relative_eq!(*a, b, max_relative = 1e-12);
        }
        approx::assert_relative_eq!(s.std, exact.std, max_relative = 1e-12);
        assert_eq!(s.mean, 4.1);
    }

    #[test]
    fn constant_values_are_exact() {
        let mut d = Dist::new(1e6);
        for _ in 0..1000 {
            d.add_int(12_345_678_901);
        }
        let s = d.summary();
        assert!(s.pct.iter().all(|&p| p == 12_345.678901), "{s:?}");
        assert_eq!((s.min, s.max, s.mean), (12_345.678901, 12_345.678901, 12_345.678901));
        assert_eq!(s.std, 0.0);
    }

    #[test]
    fn axis_index_and_share() {
        let a = TTFT_AXIS;
        assert_eq!(a.index(0), 0);
        assert_eq!(a.index((1 << 20) - 1), 0);
        assert_eq!(a.index(1 << 20), 1);
        assert_eq!(a.index((1 << 40) - 1), a.len() - 2);
        assert_eq!(a.index(1 << 40), a.len() - 1);
        for i in 0..a.len() {
            let want = if i == 0 { 1.0 / 1_048_576.0 } else { 0.0 }; // only the key 0 is ≤ 0 ns
            assert_eq!(a.share_at_most(i, 0.0, 0.0), want);
            assert_eq!(a.share_at_most(i, 1e30, 1e13), 1.0);
        }
    }

    #[test]
    fn joint_count_exact_away_from_limits() {
        let mut j = JointHist::new();
        j.add(100_000_000, Some(10_000_000)); // 100 ms, 10 ms: meets
        j.add(900_000_000, Some(10_000_000)); // TTFT too high
        j.add(100_000_000, Some(90_000_000)); // ITL too high
        j.add(100_000_000, None); // osl 1: ITL vacuous
        j.add(5_000_000_000_000, None); // overflow TTFT (83 min)
        assert_eq!(j.count_meeting(500.0, 50.0), 2.0);
        assert_eq!(j.count_meeting(1e9, 1e9), 5.0);
        assert_eq!(j.count_meeting(0.0, 0.0), 0.0);
    }
}
