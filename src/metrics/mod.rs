//! Metrics: per-request records, aggregates (percentiles, throughput, goodput) and the output
//! formats built from them (SPEC §2 and §4).
//!
//! # Definitions (AIPerf's, so numbers compare 1:1 with AIPerf exports)
//! * TTFT = first token − arrival; E2E = last token − arrival; scheduling delay = first
//!   scheduled − arrival (all from integer-ns [`RequestRecord`] times).
//! * ITL (= TPOT) = (E2E − TTFT) / (output tokens − 1). A request with `osl == 1` has no ITL: it is
//!   left out of the ITL statistics, and meets the ITL target vacuously.
//! * Benchmark duration = earliest arrival → latest completion. Request throughput = completed
//!   requests / duration; output token throughput = Σ osl / duration.
//! * A request meets the SLA when TTFT ≤ target AND (no ITL or ITL ≤ target). Goodput = such
//!   requests / duration (req/s); SLA hit rate = their share of completed requests;
//!   goodput per GPU = goodput / GPUs.
//! * Percentiles: numpy's default `linear` method (see [`percentile_sorted`]).
//! * Nothing is NaN or infinite: an empty run, a zero duration or zero GPUs give 0 rates, and a
//!   metric with no values (e.g. ITL when every request has `osl == 1`) gives a [`Stats`] of zeros
//!   with `count == 0`.
//!
//! # Collectors
//! [`MetricsCollector::exact`] keeps every record (56 bytes each) and computes exact
//! percentiles. [`MetricsCollector::streaming`] keeps bounded memory (≈ 8.5 MB, independent of
//! the number of requests): exact count/mean/min/max/std, histogram percentiles within 0.05 %
//! (bound 0.1 %). Goodput needs TTFT and ITL *jointly* per request: a streaming collector counts
//! it exactly for the SLA given to [`MetricsCollector::streaming_with_sla`]; for any other SLA
//! it estimates it from a coarse joint histogram (see [`MetricsCollector::goodput_is_exact`]).

mod aiperf;
pub mod aiperf_dir;
pub mod aiperf_records;
mod histogram;
mod percentile;
mod requests_csv;

pub use aiperf::AiperfContext;
pub use percentile::percentile_sorted;
pub use requests_csv::{
    request_row, requests_csv_bytes, sorted_by_id, write_requests_csv, RequestCell, REQUESTS_CSV_COLUMNS,
};

use histogram::{to_key, Dist, JointHist};
use percentile::{Summary, IDX_P50, IDX_P90, IDX_P95, IDX_P99};

/// Nanoseconds per millisecond.
const NS_PER_MS: f64 = 1e6;
/// Nanoseconds per second.
const NS_PER_S: f64 = 1e9;

/// What the simulator records for each completed request. Times are integer ns since simulation
/// start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestRecord {
    /// Request id (unique within a run).
    pub id: u64,
    /// Arrival time, ns.
    pub arrival_ns: u64,
    /// First time any of its prompt was scheduled into an engine iteration, ns.
    pub first_scheduled_ns: u64,
    /// Time the first output token was produced (includes any fixed TTFT overhead), ns.
    pub first_token_ns: u64,
    /// Time the last output token was produced, ns.
    pub completion_ns: u64,
    /// Input (prompt) length, tokens.
    pub isl: u32,
    /// Output length, tokens.
    pub osl: u32,
    /// Times it was preempted (KV recompute).
    pub preemptions: u32,
    /// Prompt tokens served from the prefix cache (not prefilled) at its latest admission.
    pub cached_tokens: u32,
}

impl RequestRecord {
    /// Time to first token, ns (0 if the record's times are out of order).
    pub fn ttft_ns(&self) -> u64 {
        self.first_token_ns.saturating_sub(self.arrival_ns)
    }

    /// End-to-end latency, ns (0 if the record's times are out of order).
    pub fn e2e_ns(&self) -> u64 {
        self.completion_ns.saturating_sub(self.arrival_ns)
    }

    /// Scheduling delay (arrival → first scheduled), ns (0 if out of order).
    pub fn scheduling_delay_ns(&self) -> u64 {
        self.first_scheduled_ns.saturating_sub(self.arrival_ns)
    }

    /// Time to first token, ms.
    pub fn ttft_ms(&self) -> f64 {
        self.ttft_ns() as f64 / NS_PER_MS
    }

    /// End-to-end latency, ms.
    pub fn e2e_ms(&self) -> f64 {
        self.e2e_ns() as f64 / NS_PER_MS
    }

    /// Inter-token latency, ms. AIPerf definition: (E2E − TTFT) / (osl − 1); `None` when
    /// `osl ≤ 1` (such requests are left out of ITL statistics).
    pub fn itl_ms(&self) -> Option<f64> {
        if self.osl < 2 {
            return None;
        }
        let decode_ns = self.e2e_ns().saturating_sub(self.ttft_ns());
        // One correctly rounded division (NS_PER_MS · (osl − 1) is exact).
        Some(decode_ns as f64 / (NS_PER_MS * f64::from(self.osl - 1)))
    }

    /// Scheduling delay (arrival → first scheduled), ms.
    pub fn scheduling_delay_ms(&self) -> f64 {
        self.scheduling_delay_ns() as f64 / NS_PER_MS
    }

    /// Whether the request meets `sla`: TTFT ≤ `sla.ttft_ms` and (no ITL, i.e. `osl ≤ 1`, or
    /// ITL ≤ `sla.itl_ms`).
    pub fn meets_sla(&self, sla: &Sla) -> bool {
        self.ttft_ms() <= sla.ttft_ms && self.itl_ms().is_none_or(|itl| itl <= sla.itl_ms)
    }
}

/// SLA targets. A request meets the SLA when TTFT ≤ `ttft_ms` AND (`osl == 1` or ITL ≤ `itl_ms`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sla {
    /// TTFT target, ms.
    pub ttft_ms: f64,
    /// ITL (TPOT) target, ms.
    pub itl_ms: f64,
}

/// Aggregate statistics of one metric, in the metric's unit (named by the field holding it,
/// e.g. `ttft_ms`). Serialises as `{"p50","p90","p95","p99","mean","min","max","count"}` in this
/// order. With no values (`count == 0`) every statistic is 0 — never NaN.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// 50th percentile (numpy-linear).
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Number of values the statistics are over (requests; for ITL/TPOT only those with
    /// `osl ≥ 2`). Absent in older JSON → 0.
    #[serde(default)]
    pub count: u64,
}

impl Stats {
    fn from_summary(s: &Summary) -> Self {
        Stats {
            p50: s.pct[IDX_P50],
            p90: s.pct[IDX_P90],
            p95: s.pct[IDX_P95],
            p99: s.pct[IDX_P99],
            mean: s.mean,
            min: s.min,
            max: s.max,
            count: s.count,
        }
    }
}

/// Summary metrics of a run: the SPEC §4 `metrics` object (serialises with exactly its keys, in
/// its order; the `#[serde(skip)]` fields are extra information for callers).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunMetrics {
    /// Time to first token, ms.
    pub ttft_ms: Stats,
    /// Time per output token (= ITL, AIPerf definition), ms; requests with `osl ≥ 2` only.
    pub tpot_ms: Stats,
    /// Inter-token latency, ms (equal to `tpot_ms`; AIPerf's name).
    pub itl_ms: Stats,
    /// End-to-end latency, s.
    pub e2e_latency_s: Stats,
    /// Scheduling delay (arrival → first scheduled), ms.
    pub scheduling_delay_ms: Stats,
    /// Output token throughput, tokens/s (Σ osl / duration).
    pub throughput_token_s: f64,
    /// Request throughput, requests/s (completed / duration).
    pub request_throughput: f64,
    /// Goodput: requests meeting the SLA per second, requests/s.
    pub goodput_req_s: f64,
    /// Share of completed requests meeting the SLA, 0..=1.
    pub sla_hit_rate: f64,
    /// Goodput per GPU, requests/s/GPU.
    pub goodput_per_gpu: f64,
    /// Completed requests.
    pub requests_completed: u64,
    /// Total preemptions (KV recomputes) over all requests.
    pub preemptions: u64,
    /// Benchmark duration (earliest arrival → latest completion), s.
    #[serde(skip)]
    pub duration_s: f64,
    /// Σ osl, tokens.
    #[serde(skip)]
    pub total_output_tokens: u64,
    /// Σ isl, tokens.
    #[serde(skip)]
    pub total_input_tokens: u64,
}

/// Run-wide sums and extremes, kept by both collector kinds.
#[derive(Debug, Clone, Copy)]
struct Totals {
    n: u64,
    first_arrival_ns: u64,
    last_completion_ns: u64,
    output_tokens: u64,
    input_tokens: u64,
    preemptions: u64,
}

impl Totals {
    const EMPTY: Totals = Totals {
        n: 0,
        first_arrival_ns: u64::MAX,
        last_completion_ns: 0,
        output_tokens: 0,
        input_tokens: 0,
        preemptions: 0,
    };

    #[inline(always)]
    fn add(&mut self, r: &RequestRecord) {
        self.n += 1;
        self.first_arrival_ns = self.first_arrival_ns.min(r.arrival_ns);
        self.last_completion_ns = self.last_completion_ns.max(r.completion_ns);
        self.output_tokens += u64::from(r.osl);
        self.input_tokens += u64::from(r.isl);
        self.preemptions += u64::from(r.preemptions);
    }

    /// Earliest arrival, ns (0 when empty).
    fn start_ns(&self) -> u64 {
        if self.n == 0 {
            0
        } else {
            self.first_arrival_ns
        }
    }

    /// Latest completion, ns (0 when empty).
    fn end_ns(&self) -> u64 {
        self.last_completion_ns
    }

    /// Earliest arrival → latest completion, s.
    fn duration_s(&self) -> f64 {
        self.end_ns().saturating_sub(self.start_ns()) as f64 / NS_PER_S
    }

    /// `x` per second of the duration; 0 when the duration is 0.
    fn per_s(&self, x: f64) -> f64 {
        let d = self.duration_s();
        if d > 0.0 && x.is_finite() {
            x / d
        } else {
            0.0
        }
    }
}

/// Streaming state: one bounded distribution per metric.
struct Streaming {
    ttft: Dist,
    e2e: Dist,
    sched: Dist,
    itl: Dist,
    per_user: Dist,
    prefill_tput: Dist,
    isl: Dist,
    osl: Dist,
    joint: JointHist,
    sla: Option<Sla>,
    good: u64,
}

impl Streaming {
    fn new(sla: Option<Sla>) -> Self {
        Streaming {
            ttft: Dist::new(NS_PER_MS),   // key ns → ms
            e2e: Dist::new(NS_PER_MS),    // key ns → ms
            sched: Dist::new(NS_PER_MS),  // key ns → ms
            itl: Dist::new(1e9),          // key ps → ms
            per_user: Dist::new(1e3),     // key milli-tokens/s → tokens/s
            prefill_tput: Dist::new(1e3), // key milli-tokens/s → tokens/s
            isl: Dist::new(1.0),          // tokens
            osl: Dist::new(1.0),          // tokens
            joint: JointHist::new(),
            sla,
            good: 0,
        }
    }

    #[inline(always)]
    fn record(&mut self, r: &RequestRecord) {
        let ttft_ns = r.ttft_ns();
        self.ttft.add_int(ttft_ns);
        self.e2e.add_int(r.e2e_ns());
        self.sched.add_int(r.scheduling_delay_ns());
        self.isl.add_int(u64::from(r.isl));
        self.osl.add_int(u64::from(r.osl));
        if ttft_ns > 0 {
            // ISL / TTFT in milli-tokens/s.
            let x = f64::from(r.isl) * 1e12 / ttft_ns as f64;
            self.prefill_tput.add(to_key(x), x);
        }
        let itl_ms = r.itl_ms();
        let itl_ns = match itl_ms {
            Some(itl) => {
                let ps = itl * 1e9;
                self.itl.add(to_key(ps), ps);
                if itl > 0.0 {
                    // 1000 / ITL tokens/s per user, in milli-tokens/s.
                    let x = 1e6 / itl;
                    self.per_user.add(to_key(x), x);
                }
                Some(to_key(itl * NS_PER_MS))
            }
            None => None,
        };
        self.joint.add(ttft_ns, itl_ns);
        if let Some(sla) = &self.sla {
            if ttft_ns as f64 / NS_PER_MS <= sla.ttft_ms && itl_ms.is_none_or(|itl| itl <= sla.itl_ms) {
                self.good += 1;
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        [
            &self.ttft,
            &self.e2e,
            &self.sched,
            &self.itl,
            &self.per_user,
            &self.prefill_tput,
            &self.isl,
            &self.osl,
        ]
        .iter()
        .map(|d| d.heap_bytes())
        .sum::<usize>()
            + self.joint.heap_bytes()
    }
}

enum Kind {
    Exact(Vec<RequestRecord>),
    Streaming(Box<Streaming>),
}

/// Per-metric summaries of a run (internal; both collector kinds produce it).
struct Summaries {
    ttft: Summary,
    e2e: Summary,
    sched: Summary,
    itl: Summary,
    /// Only filled when asked for the AIPerf extras.
    per_user: Summary,
    prefill_tput: Summary,
    isl: Summary,
    osl: Summary,
    /// Requests meeting the SLA (an estimate only for a streaming collector without that SLA).
    good: f64,
}

/// Accumulates [`RequestRecord`]s and turns them into [`RunMetrics`] or an AIPerf export.
///
/// Two kinds: *exact* (keeps every record; exact numpy-linear percentiles, computed by sorting
/// each metric's values once per [`finish`](Self::finish)) and *streaming* (bounded memory: a
/// log-linear histogram per metric with ≤ 0.1 % relative error on percentiles — 0.05 % by
/// construction — and exact mean/min/max/std/count; memory independent of the number of requests,
/// for 100M-request runs).
pub struct MetricsCollector {
    kind: Kind,
    totals: Totals,
}

impl std::fmt::Debug for MetricsCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsCollector")
            .field("kind", &if self.is_streaming() { "streaming" } else { "exact" })
            .field("count", &self.totals.n)
            .finish()
    }
}

impl MetricsCollector {
    /// An exact collector (keeps every record, 56 bytes each).
    pub fn exact() -> Self {
        MetricsCollector {
            kind: Kind::Exact(Vec::new()),
            totals: Totals::EMPTY,
        }
    }

    /// An exact collector with room reserved for `n` records (if that much memory is available;
    /// otherwise it grows as needed).
    pub fn exact_with_capacity(n: usize) -> Self {
        let mut v = Vec::new();
        // A failed reservation (absurd n) is not an error: the vector grows on demand instead.
        let _ = v.try_reserve_exact(n);
        MetricsCollector {
            kind: Kind::Exact(v),
            totals: Totals::EMPTY,
        }
    }

    /// A streaming collector: bounded memory (≈ 8.5 MB, fixed at construction; pages are touched
    /// only as values land in them), percentiles within 0.1 %. Goodput for an SLA is estimated
    /// from a joint (TTFT, ITL) histogram — exact except for requests within ≈ 1.6 % of a target;
    /// use [`streaming_with_sla`](Self::streaming_with_sla) when the SLA is known before
    /// recording.
    pub fn streaming() -> Self {
        MetricsCollector {
            kind: Kind::Streaming(Box::new(Streaming::new(None))),
            totals: Totals::EMPTY,
        }
    }

    /// A streaming collector that counts requests meeting `sla` exactly while recording, so
    /// [`finish`](Self::finish) with the same SLA gives exact goodput and SLA hit rate.
    pub fn streaming_with_sla(sla: Sla) -> Self {
        MetricsCollector {
            kind: Kind::Streaming(Box::new(Streaming::new(Some(sla)))),
            totals: Totals::EMPTY,
        }
    }

    /// Records one completed request. O(1) amortised; allocation-free for a streaming collector.
    #[inline]
    pub fn record(&mut self, r: &RequestRecord) {
        self.totals.add(r);
        match &mut self.kind {
            Kind::Exact(v) => v.push(*r),
            Kind::Streaming(s) => s.record(r),
        }
    }

    /// Number of records so far.
    pub fn count(&self) -> u64 {
        self.totals.n
    }

    /// Whether this is a streaming (bounded-memory) collector.
    pub fn is_streaming(&self) -> bool {
        matches!(self.kind, Kind::Streaming(_))
    }

    /// The records, in recording order (exact collectors; empty for a streaming collector).
    pub fn records(&self) -> &[RequestRecord] {
        match &self.kind {
            Kind::Exact(v) => v,
            Kind::Streaming(_) => &[],
        }
    }

    /// Heap memory held by the collector, bytes (constant for a streaming collector; the record
    /// vector's capacity for an exact one).
    pub fn heap_bytes(&self) -> usize {
        match &self.kind {
            Kind::Exact(v) => v.capacity() * std::mem::size_of::<RequestRecord>(),
            Kind::Streaming(s) => s.heap_bytes(),
        }
    }

    /// Whether goodput / SLA hit rate for `sla` are exact: always for an exact collector; for a
    /// streaming one only when it was built with [`streaming_with_sla`](Self::streaming_with_sla)
    /// and the same SLA.
    pub fn goodput_is_exact(&self, sla: &Sla) -> bool {
        match &self.kind {
            Kind::Exact(_) => true,
            Kind::Streaming(s) => s.sla.as_ref() == Some(sla),
        }
    }

    /// Summary metrics of the run. Duration = earliest arrival → latest completion (SPEC §2);
    /// goodput = SLA-meeting requests / duration; goodput_per_gpu = goodput / `num_gpus` (0 when
    /// `num_gpus` is 0).
    pub fn finish(&self, sla: &Sla, num_gpus: u32) -> RunMetrics {
        let s = self.summaries(sla, false);
        let t = &self.totals;
        let goodput = t.per_s(s.good);
        let itl = Stats::from_summary(&s.itl);
        RunMetrics {
            ttft_ms: Stats::from_summary(&s.ttft),
            tpot_ms: itl,
            itl_ms: itl,
            e2e_latency_s: Stats::from_summary(&s.e2e.scaled(1e-3)),
            scheduling_delay_ms: Stats::from_summary(&s.sched),
            throughput_token_s: t.per_s(t.output_tokens as f64),
            request_throughput: t.per_s(t.n as f64),
            goodput_req_s: goodput,
            sla_hit_rate: if t.n > 0 {
                (s.good / t.n as f64).clamp(0.0, 1.0)
            } else {
                0.0
            },
            goodput_per_gpu: if num_gpus > 0 {
                goodput / f64::from(num_gpus)
            } else {
                0.0
            },
            requests_completed: t.n,
            preemptions: t.preemptions,
            duration_s: t.duration_s(),
            total_output_tokens: t.output_tokens,
            total_input_tokens: t.input_tokens,
        }
    }

    /// Per-metric summaries; `extras` also computes the AIPerf-only metrics (per-user
    /// throughput, prefill throughput, ISL, OSL).
    fn summaries(&self, sla: &Sla, extras: bool) -> Summaries {
        match &self.kind {
            Kind::Exact(recs) => {
                let n = recs.len();
                let mut ttft = Vec::with_capacity(n);
                let mut e2e = Vec::with_capacity(n);
                let mut sched = Vec::with_capacity(n);
                let mut itl = Vec::with_capacity(n);
                let mut good = 0u64;
                for r in recs {
                    ttft.push(r.ttft_ms());
                    e2e.push(r.e2e_ms());
                    sched.push(r.scheduling_delay_ms());
                    if let Some(v) = r.itl_ms() {
                        itl.push(v);
                    }
                    good += u64::from(r.meets_sla(sla));
                }
                let (per_user, prefill_tput, isl, osl) = if extras {
                    let per_user = itl.iter().filter(|&&v| v > 0.0).map(|v| 1000.0 / v).collect();
                    let prefill = recs
                        .iter()
                        .filter(|r| r.ttft_ns() > 0)
                        .map(|r| f64::from(r.isl) * 1000.0 / r.ttft_ms())
                        .collect();
                    (
                        Summary::from_unsorted(per_user),
                        Summary::from_unsorted(prefill),
                        Summary::from_unsorted(recs.iter().map(|r| f64::from(r.isl)).collect()),
                        Summary::from_unsorted(recs.iter().map(|r| f64::from(r.osl)).collect()),
                    )
                } else {
                    Default::default()
                };
                Summaries {
                    ttft: Summary::from_unsorted(ttft),
                    e2e: Summary::from_unsorted(e2e),
                    sched: Summary::from_unsorted(sched),
                    itl: Summary::from_unsorted(itl),
                    per_user,
                    prefill_tput,
                    isl,
                    osl,
                    good: good as f64,
                }
            }
            Kind::Streaming(s) => {
                let good = if s.sla.as_ref() == Some(sla) {
                    s.good as f64
                } else {
                    s.joint.count_meeting(sla.ttft_ms, sla.itl_ms)
                };
                let opt = |d: &Dist| if extras { d.summary() } else { Summary::default() };
                Summaries {
                    ttft: s.ttft.summary(),
                    e2e: s.e2e.summary(),
                    sched: s.sched.summary(),
                    itl: s.itl.summary(),
                    per_user: opt(&s.per_user),
                    prefill_tput: opt(&s.prefill_tput),
                    isl: opt(&s.isl),
                    osl: opt(&s.osl),
                    good: good.min(self.totals.n as f64),
                }
            }
        }
    }

    /// Length of each streaming histogram's bucket array (test hook: must not grow).
    #[cfg(test)]
    fn bucket_lens(&self) -> Vec<usize> {
        match &self.kind {
            Kind::Exact(_) => Vec::new(),
            Kind::Streaming(s) => [
                &s.ttft,
                &s.e2e,
                &s.sched,
                &s.itl,
                &s.per_user,
                &s.prefill_tput,
                &s.isl,
                &s.osl,
            ]
            .iter()
            .map(|d| d.buckets_len())
            .chain([s.joint.heap_bytes()])
            .collect(),
        }
    }

    /// Count of values in the streaming ITL distribution (test hook).
    #[cfg(test)]
    fn streaming_itl_count(&self) -> Option<u64> {
        match &self.kind {
            Kind::Exact(_) => None,
            Kind::Streaming(s) => Some(s.itl.count()),
        }
    }
}

#[cfg(test)]
mod tests;
