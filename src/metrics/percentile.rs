//! Percentiles with numpy's default (`method="linear"`) rule and exact summaries of a sample.
//!
//! For a sorted sample `x[0..n]` and a percentile `p ∈ [0, 100]`:
//! `rank = (n − 1) · p/100`, `lo = ⌊rank⌋`, `hi = min(lo + 1, n − 1)`, `t = rank − lo`, and the
//! result is the linear interpolation between `x[lo]` and `x[hi]` — computed exactly as numpy's
//! `_lerp` does (`a + (b − a)·t` for `t < 0.5`, `b − (b − a)·(1 − t)` otherwise), so the numbers
//! agree with `numpy.percentile` to the last bit on the same input.

/// The percentiles an AIPerf export reports for each metric (`p1` … `p99`), in its order.
pub(crate) const AIPERF_PERCENTILES: [f64; 9] = [1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0];

/// Index of p50 / p90 / p95 / p99 in [`AIPERF_PERCENTILES`].
pub(crate) const IDX_P50: usize = 4;
pub(crate) const IDX_P90: usize = 6;
pub(crate) const IDX_P95: usize = 7;
pub(crate) const IDX_P99: usize = 8;

/// numpy-`linear` percentile of an ascending `sorted` slice; `p` in 0..=100 (values outside are
/// clamped, NaN counts as 0). Returns 0.0 for an empty slice (never NaN).
///
/// The result has the unit of the values. The slice must be sorted ascending (e.g. with
/// `sort_unstable_by(f64::total_cmp)`); this is not checked.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let (lo, hi, t) = rank(sorted.len() as u64, p);
    // `rank` keeps lo ≤ hi < n.
    lerp(sorted[lo as usize], sorted[hi as usize], t)
}

/// Order statistics (0-based) to interpolate between for percentile `p` of `n ≥ 1` values, and
/// the interpolation weight: numpy's `virtual_index = (n − 1)·(p/100)`.
pub(crate) fn rank(n: u64, p: f64) -> (u64, u64, f64) {
    let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) };
    let last = n.saturating_sub(1);
    let virtual_index = last as f64 * (p / 100.0);
    let lo_f = virtual_index.floor();
    let lo = (lo_f as u64).min(last);
    let hi = (lo + 1).min(last);
    (lo, hi, virtual_index - lo_f)
}

/// numpy's `_lerp(a, b, t)`.
pub(crate) fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b {
        return a;
    }
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Aggregate description of one metric's sample, in the metric's unit: what both the §4 summary
/// (`Stats`) and the AIPerf export entries are made of. All fields are 0 when `count` is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Summary {
    /// Number of values.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation (numpy `std`, `ddof = 0`, as AIPerf reports).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Values at [`AIPERF_PERCENTILES`].
    pub pct: [f64; 9],
}

impl Summary {
    /// Exact summary of an ascending slice (two-pass mean and standard deviation).
    pub(crate) fn from_sorted(sorted: &[f64]) -> Self {
        let n = sorted.len();
        if n == 0 {
            return Summary::default();
        }
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let var = sorted.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        let mut pct = [0.0; 9];
        for (out, p) in pct.iter_mut().zip(AIPERF_PERCENTILES) {
            *out = percentile_sorted(sorted, p);
        }
        Summary {
            count: n as u64,
            mean,
            std: var.max(0.0).sqrt(),
            min: sorted[0],
            max: sorted[n - 1],
            pct,
        }
        .finite()
    }

    /// Sorts `values` (total order) and summarises them.
    pub(crate) fn from_unsorted(mut values: Vec<f64>) -> Self {
        values.sort_unstable_by(f64::total_cmp);
        Self::from_sorted(&values)
    }

    /// Every value multiplied by `factor` (a unit change, e.g. ms → s).
    pub(crate) fn scaled(&self, factor: f64) -> Self {
        let mut s = *self;
        s.mean *= factor;
        s.std *= factor.abs();
        s.min *= factor;
        s.max *= factor;
        for v in &mut s.pct {
            *v *= factor;
        }
        s.finite()
    }

    /// Replaces any non-finite field by 0 so no NaN/inf reaches JSON (inputs are finite in
    /// practice; this is a guard).
    pub(crate) fn finite(mut self) -> Self {
        let fix = |x: &mut f64| {
            if !x.is_finite() {
                *x = 0.0;
            }
        };
        fix(&mut self.mean);
        fix(&mut self.std);
        fix(&mut self.min);
        fix(&mut self.max);
        self.pct.iter_mut().for_each(fix);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed on this machine with Python 3 + numpy 2.4.6:
    //   numpy.percentile(x, [1, 5, 10, 25, 50, 75, 90, 95, 99]), numpy.mean(x), numpy.std(x)
    // (numpy is not available in CI, so they are hard-coded here).
    const ODD: [f64; 11] = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0];
    const ODD_PCT: [f64; 9] = [1.0, 1.0, 1.0, 2.5, 4.0, 5.0, 6.0, 7.5, 8.700000000000001];
    const EVEN: [f64; 10] = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
    const EVEN_PCT: [f64; 9] = [
        1.0,
        1.0,
        1.0,
        2.25,
        3.5,
        5.0,
        6.299999999999999,
        7.649999999999997,
        8.73,
    ];
    const THOUSAND_PCT: [f64; 9] = [10.99, 50.95, 100.9, 250.75, 500.5, 750.25, 900.1, 950.05, 990.01];
    const FRAC: [f64; 7] = [0.5, 12.25, 3.125, 7.0, 100.75, 42.0, 0.0625];
    const FRAC_PCT: [f64; 9] = [
        0.08875,
        0.19375000000000003,
        0.32500000000000007,
        1.8125,
        7.0,
        27.125,
        65.50000000000003,
        83.12499999999996,
        97.22499999999997,
    ];

    fn sorted(v: &[f64]) -> Vec<f64> {
        let mut v = v.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    fn check(values: &[f64], expected: &[f64; 9]) {
        let s = sorted(values);
        for (p, want) in AIPERF_PERCENTILES.iter().zip(expected) {
            let got = percentile_sorted(&s, *p);
            approx::assert_relative_eq!(got, *want, max_relative = 1e-13);
        }
    }

    #[test]
    fn matches_numpy_odd_even_thousand_fractional() {
        check(&ODD, &ODD_PCT);
        check(&EVEN, &EVEN_PCT);
        let thousand: Vec<f64> = (1..=1000).map(f64::from).collect();
        check(&thousand, &THOUSAND_PCT);
        check(&FRAC, &FRAC_PCT);
    }

    #[test]
    fn matches_numpy_bit_for_bit_on_lerp_branches() {
        // t < 0.5 and t ≥ 0.5 branches of numpy's _lerp; these equalities are exact in numpy too.
        assert_eq!(percentile_sorted(&sorted(&ODD), 99.0), 8.700000000000001);
        assert_eq!(percentile_sorted(&sorted(&EVEN), 90.0), 6.299999999999999);
        assert_eq!(percentile_sorted(&sorted(&EVEN), 95.0), 7.649999999999997);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(percentile_sorted(&[], 50.0), 0.0);
        assert_eq!(percentile_sorted(&[7.5], 50.0), 7.5); // numpy: 7.5
        assert_eq!(percentile_sorted(&[1.0, 2.0], 0.0), 1.0);
        assert_eq!(percentile_sorted(&[1.0, 2.0], 100.0), 2.0);
        approx::assert_relative_eq!(percentile_sorted(&[1.0, 2.0], 33.3), 1.333, max_relative = 1e-14); // numpy: 1.333
        assert_eq!(percentile_sorted(&[1.0, 2.0], 150.0), 2.0);
        assert_eq!(percentile_sorted(&[1.0, 2.0], -3.0), 1.0);
        assert_eq!(percentile_sorted(&[1.0, 2.0], f64::NAN), 1.0);
    }

    #[test]
    fn summary_mean_std_match_numpy() {
        let s = Summary::from_unsorted(ODD.to_vec());
        approx::assert_relative_eq!(s.mean, 4.0, max_relative = 1e-14);
        approx::assert_relative_eq!(s.std, 2.256304299271065, max_relative = 1e-13);
        let s = Summary::from_unsorted(EVEN.to_vec());
        approx::assert_relative_eq!(s.mean, 3.9, max_relative = 1e-14);
        approx::assert_relative_eq!(s.std, 2.3430749027719964, max_relative = 1e-13);
        let s = Summary::from_unsorted((1..=1000).map(f64::from).collect());
        approx::assert_relative_eq!(s.mean, 500.5, max_relative = 1e-14);
        approx::assert_relative_eq!(s.std, 288.6749902572095, max_relative = 1e-13);
        assert_eq!((s.min, s.max, s.count), (1.0, 1000.0, 1000));
        let s = Summary::from_unsorted(FRAC.to_vec());
        approx::assert_relative_eq!(s.mean, 23.669642857142858, max_relative = 1e-14);
        approx::assert_relative_eq!(s.std, 34.23006318669754, max_relative = 1e-13);
        assert_eq!(Summary::from_sorted(&[]), Summary::default());
    }

    proptest::proptest! {
        #[test]
        fn percentile_is_monotone_and_bounded(
            mut v in proptest::collection::vec(-1e9f64..1e9, 1..200),
            p in 0.0f64..100.0,
            q in 0.0f64..100.0,
        ) {
            v.sort_unstable_by(f64::total_cmp);
            let (a, b) = (percentile_sorted(&v, p.min(q)), percentile_sorted(&v, p.max(q)));
            // numpy's two-branch lerp may differ by an ulp around t = 0.5: allow rounding.
            let tol = 1e-12 * (v[0].abs().max(v[v.len() - 1].abs()));
            proptest::prop_assert!(a <= b + tol);
            proptest::prop_assert!(v[0] - tol <= a && b <= v[v.len() - 1] + tol);
        }
    }
}
