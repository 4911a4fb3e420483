//! Workloads: load (closed-loop concurrency or open-loop arrivals), request lengths, traces,
//! and what the prompts share (prefix block ids of a Mooncake trace, shared system prompts,
//! multi-turn sessions; see [`content`]).
//!
//! A [`WorkloadSpec`] says what traffic to send; [`WorkloadSpec::generator`] turns it into a
//! [`RequestGenerator`] that the simulator pulls requests from: `next_arrival` (open loop: arrival
//! time in integer nanoseconds + [`RequestShape`]) or `next_shape` (closed loop), and for
//! sessions `next_turn` (a session's next turn after one completes; see [`sessions`]).
//!
//! Randomness: arrival gaps come from the `Arrivals` stream of the seed, ISL from sub-stream 0
//! and OSL from sub-stream 1 of the `Lengths` stream, shared-prefix groups from the `Prefix`
//! stream, sessions from the `Sessions` stream (see [`rng`]), so changing the arrival process
//! leaves the lengths unchanged and vice versa; same spec + seed ⇒ the same sequence.
//!
//! Cost: `next_arrival` / `next_shape` are O(1) amortised and never allocate (distributions are
//! precomputed when the generator is built; ~10–20 ns per request for Poisson + fixed lengths).

mod arrivals;
pub mod content;
mod lengths;
pub mod mooncake;
pub mod prefix;
mod rate_schedule;
pub mod rng;
pub mod sessions;
mod trace;

pub use arrivals::ArrivalPattern;
pub use lengths::{LengthDist, LengthModel, RequestShape, MAX_TOKENS};
pub use mooncake::MOONCAKE_BLOCK_TOKENS;
pub use prefix::{SharedPrefixSpec, MAX_PREFIX_GROUPS};
pub use rate_schedule::{load_rate_schedule, parse_rate_schedule};
pub use rng::{stream, sub_stream, Stream};
pub use sessions::{DelayDist, SessionSpec};
pub use trace::{
    resolve_trace, resolve_trace_with, shipped_trace, shipped_trace_bytes, Trace, TraceBlockIds, TraceRow,
    COL_ARRIVED_AT, COL_DECODE, COL_PREFILL, SHIPPED_TRACES,
};

use crate::error::{Error, Result};
use arrivals::{ArrivalGen, TraceClock};
use lengths::Sampler;
use prefix::PrefixGen;
use rand_chacha::ChaCha8Rng;
use sessions::SessionGen;
use std::sync::Arc;

/// Most requests one simulation may issue (10⁹: several minutes at the simulator's speed).
pub const MAX_REQUESTS: u64 = 1_000_000_000;

/// How load is offered.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadSpec {
    /// Closed loop, AIPerf `--concurrency` semantics: N requests in flight, a new one sent the
    /// instant one finishes (N ≥ 1). With [`WorkloadSpec::sessions`]: N sessions in flight
    /// (`--sessions N`), each a closed loop of turns, a new session started when one ends.
    Concurrency(u32),
    /// Open loop: requests arrive by this process regardless of completions.
    OpenLoop(ArrivalPattern),
}

/// What traffic to send.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// Closed-loop concurrency or open-loop arrivals.
    pub load: LoadSpec,
    /// Total requests to issue (≥ 1). `None`: unlimited until `duration_s` for open loop when a
    /// duration is set, otherwise one pass over the trace (its row count) when a trace is used
    /// for lengths or arrivals; required in every other case.
    pub requests: Option<u64>,
    /// Open loop: no arrivals after this time, seconds (> 0). The generator ignores it for closed
    /// loop (it does not know simulated time; the caller may stop on it).
    pub duration_s: Option<f64>,
    /// Where request lengths come from.
    pub lengths: LengthModel,
    /// The trace for [`LengthModel::Trace`] / [`ArrivalPattern::Trace`].
    pub trace: Option<Arc<Trace>>,
    /// Trace time scale (> 0): trace arrival times are divided by it, so 2.0 replays the trace
    /// twice as fast.
    pub trace_rate_scale: f64,
    /// Seed of all random streams.
    pub seed: u64,
    /// Warm-up requests (AIPerf `--warmup-request-count`): issued first, through the same load
    /// (the closed loop keeps its N in flight, open-loop arrivals continue), and left out of
    /// every metric. They come on top of `requests`: `requests` is what is measured.
    pub warmup_requests: u64,
    /// Shared system prompts in front of every prompt (`--prefix-groups`, `--prefix-len`); the
    /// `isl` distribution is then the question after it. Not with a trace or sessions.
    pub shared_prefix: Option<SharedPrefixSpec>,
    /// Multi-turn sessions (`--sessions N` = [`LoadSpec::Concurrency`]`(N)`, `--turns`,
    /// `--turn-isl`, `--think-time`): the `isl` distribution is the first user message, `osl`
    /// each turn's output, `requests` counts turns. Closed loop only, not with a trace.
    pub sessions: Option<SessionSpec>,
}

/// Seconds (≥ 0) → integer nanoseconds, rounded to nearest (ties up; saturating; negative and NaN
/// give 0). Avoids `f64::round`, a libm call on baseline x86-64.
#[inline]
pub(crate) fn secs_to_ns(s: f64) -> u64 {
    (s * 1e9 + 0.5) as u64
}

impl WorkloadSpec {
    /// A spec without trace or duration (`trace_rate_scale` 1.0).
    pub fn new(load: LoadSpec, lengths: LengthModel, requests: Option<u64>, seed: u64) -> Self {
        WorkloadSpec {
            load,
            requests,
            duration_s: None,
            lengths,
            trace: None,
            trace_rate_scale: 1.0,
            seed,
            warmup_requests: 0,
            shared_prefix: None,
            sessions: None,
        }
    }

    /// The same spec with `n` warm-up requests.
    pub fn with_warmup(mut self, n: u64) -> Self {
        self.warmup_requests = n;
        self
    }

    /// The same spec with shared system prompts.
    pub fn with_shared_prefix(mut self, p: SharedPrefixSpec) -> Self {
        self.shared_prefix = Some(p);
        self
    }

    /// The same spec with multi-turn sessions (the load should be [`LoadSpec::Concurrency`]: the
    /// sessions in flight).
    pub fn with_sessions(mut self, s: SessionSpec) -> Self {
        self.sessions = Some(s);
        self
    }

    /// Sessions in flight (`--sessions N`) when the spec has multi-turn sessions.
    pub fn sessions_in_flight(&self) -> Option<u32> {
        match (&self.load, &self.sessions) {
            (LoadSpec::Concurrency(n), Some(_)) => Some(*n),
            _ => None,
        }
    }

    fn arrival_pattern(&self) -> Option<&ArrivalPattern> {
        match &self.load {
            LoadSpec::OpenLoop(p) => Some(p),
            LoadSpec::Concurrency(_) => None,
        }
    }

    fn uses_trace(&self) -> bool {
        self.lengths == LengthModel::Trace || matches!(self.arrival_pattern(), Some(ArrivalPattern::Trace))
    }

    /// The cap on issued requests (before any duration cut-off); `None` = unlimited.
    fn cap(&self) -> Option<u64> {
        if let Some(n) = self.requests {
            return Some(n.saturating_add(self.warmup_requests));
        }
        if self.arrival_pattern().is_some() && self.duration_s.is_some() {
            return None;
        }
        if self.uses_trace() {
            return self.trace.as_ref().map(|t| t.rows.len() as u64);
        }
        None
    }

    /// Checks everything, naming the flag in errors: `--concurrency` (≥ 1), `--rps` (rates > 0
    /// and finite), `--cv` (> 0), `--sinusoid`, `--rate-file`, `--requests` (≥ 1; needed
    /// for closed loop unless lengths come from a trace, and for open loop with a non-trace
    /// pattern unless `--duration` is set), `--duration` (> 0 s), `--trace-rate-scale` (> 0),
    /// `--isl` / `--osl` (see [`LengthDist`]), `--trace` ([`LengthModel::Trace`] and
    /// [`ArrivalPattern::Trace`] need a trace; arrival replay needs its `arrived_at` column; the
    /// trace's rows are checked with [`Trace::check`]), `--prefix-groups` / `--prefix-len` (see
    /// [`SharedPrefixSpec::validate`]; not with a trace or sessions), `--sessions` (closed loop,
    /// not with a trace; `--turns`, `--turn-isl`, `--think-time` as [`SessionSpec::validate`]).
    pub fn validate(&self) -> Result<()> {
        self.validate_content()?;
        match &self.load {
            LoadSpec::Concurrency(0) if self.sessions.is_some() => {
                return Err(Error::usage(
                    "--sessions",
                    "expected at least 1 session in flight, got 0",
                ))
            }
            LoadSpec::Concurrency(0) => {
                return Err(Error::usage(
                    "--concurrency",
                    "expected at least 1 request in flight, got 0",
                ))
            }
            LoadSpec::Concurrency(_) => {}
            LoadSpec::OpenLoop(p) => p.validate()?,
        }
        if self.requests == Some(0) {
            return Err(Error::usage("--requests", "expected at least 1 request, got 0"));
        }
        if let Some(n) = self.requests {
            if n > MAX_REQUESTS {
                return Err(Error::usage(
                    "--requests",
                    format!("{n} requests is more than the {MAX_REQUESTS} one simulation may issue"),
                ));
            }
        }
        if let Some(n) = self.requests {
            if self.warmup_requests > n {
                return Err(Error::usage(
                    "--warmup-requests",
                    format!(
                        "{} warm-up requests is more than the {n} measured ones (--requests); expected at most {n}",
                        self.warmup_requests
                    ),
                ));
            }
        } else if self.warmup_requests > MAX_REQUESTS {
            return Err(Error::usage(
                "--warmup-requests",
                format!(
                    "{} is more than the {MAX_REQUESTS} requests one simulation may issue",
                    self.warmup_requests
                ),
            ));
        }
        if let Some(d) = self.duration_s {
            if !(d.is_finite() && d > 0.0) {
                return Err(Error::usage(
                    "--duration",
                    format!("expected a finite number of seconds > 0, got {d}"),
                ));
            }
        }
        if !(self.trace_rate_scale.is_finite() && self.trace_rate_scale > 0.0) {
            return Err(Error::usage(
                "--trace-rate-scale",
                format!(
                    "expected a finite factor > 0 (2 replays the trace twice as fast), got {}",
                    self.trace_rate_scale
                ),
            ));
        }
        match &self.lengths {
            LengthModel::Dist { isl, osl } => {
                isl.validate("--isl")?;
                osl.validate("--osl")?;
            }
            LengthModel::Trace if self.trace.is_none() => {
                return Err(Error::usage(
                    "--trace",
                    "request lengths from a trace need a trace (--trace NAME|FILE)",
                ))
            }
            LengthModel::Trace => {}
        }
        if let Some(t) = &self.trace {
            t.check()?;
        }
        let replay = matches!(self.arrival_pattern(), Some(ArrivalPattern::Trace));
        if replay {
            let Some(t) = &self.trace else {
                return Err(Error::usage(
                    "--trace",
                    "replaying trace arrival times needs a trace (--trace NAME|FILE)",
                ));
            };
            if !t.has_arrivals() {
                return Err(Error::usage(
                    "--trace",
                    format!(
                        "{} has no `arrived_at` column, so its arrival times cannot be replayed; \
                         use its lengths with --rps or --concurrency instead",
                        t.source
                    ),
                ));
            }
            // repeating a trace needs time to advance between passes
            if t.span_s().unwrap_or(0.0) <= 0.0 {
                let rows = t.rows.len() as u64;
                if self.requests.is_some_and(|n| n > rows) {
                    return Err(Error::usage(
                        "--requests",
                        format!(
                            "{} has {rows} arrival(s) all at one time, so it cannot be repeated to issue more \
                             than {rows} requests; expected --requests ≤ {rows}",
                            t.source
                        ),
                    ));
                }
                if self.requests.is_none() && self.duration_s.is_some() {
                    return Err(Error::usage(
                        "--duration",
                        format!(
                            "{} has arrivals all at one time, so it cannot be repeated to fill a duration; \
                             use --requests instead",
                            t.source
                        ),
                    ));
                }
            }
        }
        self.check_horizon()?;
        if self.requests.is_none() {
            match &self.load {
                LoadSpec::Concurrency(_) if self.sessions.is_some() => {
                    return Err(Error::usage(
                        "--requests",
                        "sessions (--sessions) need the number of turns to send in all (--requests N, N ≥ 1)",
                    ))
                }
                LoadSpec::Concurrency(_) if self.lengths != LengthModel::Trace => {
                    return Err(Error::usage(
                        "--requests",
                        "closed-loop load (--concurrency) needs the number of requests to send (--requests N, N ≥ 1)",
                    ))
                }
                LoadSpec::OpenLoop(_) if self.duration_s.is_none() && !self.uses_trace() => {
                    return Err(Error::usage(
                        "--requests",
                        "open-loop load needs --requests N (N ≥ 1) or --duration SECONDS to know when to stop",
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The shared-prefix and session parts of [`validate`](Self::validate).
    fn validate_content(&self) -> Result<()> {
        if let Some(p) = &self.shared_prefix {
            p.validate()?;
            if self.lengths == LengthModel::Trace {
                return Err(Error::usage(
                    "--prefix-groups",
                    "shared prompts go in front of --isl questions, but the lengths come from --trace here \
                     (a Mooncake trace has its own prefix block ids)",
                ));
            }
        }
        let Some(s) = &self.sessions else { return Ok(()) };
        s.validate()?;
        if self.shared_prefix.is_some() {
            return Err(Error::usage(
                "--prefix-groups",
                "not with --sessions: a session's prompt is its own history (give one or the other)",
            ));
        }
        if let LoadSpec::OpenLoop(_) = self.load {
            return Err(Error::usage(
                "--sessions",
                "sessions are closed loops (each turn waits for the previous response); they cannot \
                 follow --rps/--sinusoid/--rate-file/trace arrivals",
            ));
        }
        if self.lengths == LengthModel::Trace {
            return Err(Error::usage(
                "--sessions",
                "session messages follow --isl/--turn-isl/--osl, not --trace lengths",
            ));
        }
        Ok(())
    }

    /// Checks the open-loop arrivals fit the simulation horizon ([`crate::sim::HORIZON_S`]) and
    /// the request cap: `--duration` ≤ the horizon; `requests / rate` (the expected span of the
    /// arrivals) ≤ the horizon; `duration × rate` ≤ [`MAX_REQUESTS`]; a replayed trace's last
    /// arrival (after `--trace-rate-scale` and repeats) ≤ the horizon.
    fn check_horizon(&self) -> Result<()> {
        use crate::sim::horizon::{num_text as nt, HORIZON_S, HORIZON_TEXT};
        if let Some(d) = self.duration_s {
            if d > HORIZON_S {
                return Err(Error::usage(
                    "--duration",
                    format!("{} s is past the simulation horizon of {HORIZON_TEXT}", nt(d)),
                ));
            }
        }
        let Some(p) = self.arrival_pattern() else {
            return Ok(());
        };
        let (flag, rate, peak) = match *p {
            ArrivalPattern::Poisson { rps } | ArrivalPattern::Gamma { rps, .. } | ArrivalPattern::Constant { rps } => {
                ("--rps", rps, rps)
            }
            ArrivalPattern::Sinusoid { min_rps, max_rps, .. } => ("--sinusoid", (min_rps + max_rps) / 2.0, max_rps),
            ArrivalPattern::Piecewise { ref steps } => {
                let peak = steps.iter().map(|s| s.1).fold(0.0, f64::max);
                ("--rate-file", f64::NAN, peak)
            }
            ArrivalPattern::Trace => {
                let Some(t) = &self.trace else { return Ok(()) };
                if self.duration_s.is_some() || !t.has_arrivals() {
                    return Ok(());
                }
                let n = self.requests.unwrap_or(t.rows.len() as u64).max(1);
                let clock = TraceClock::new(Arc::clone(t), self.trace_rate_scale);
                let last = clock.time_of(n - 1);
                if last.is_nan() || last > HORIZON_S {
                    return Err(Error::usage(
                        "--trace",
                        format!(
                            "{}: replaying {n} request(s) puts the last arrival at {last:.4e} s (arrived_at span \
                             {:.4e} s ÷ --trace-rate-scale {}{}), past the simulation horizon of {HORIZON_TEXT}",
                            t.source,
                            t.span_s().unwrap_or(0.0),
                            nt(self.trace_rate_scale),
                            if n > t.rows.len() as u64 { ", repeated" } else { "" }
                        ),
                    ));
                }
                return Ok(());
            }
        };
        if let (Some(count), true) = (self.requests, rate > 0.0) {
            let span = count as f64 / rate;
            if span > HORIZON_S {
                return Err(Error::usage(
                    flag,
                    format!(
                        "{count} request(s) at a mean {} req/s arrive over about {span:.4e} s, past the simulation \
                         horizon of {HORIZON_TEXT}; raise the rate or lower --requests",
                        nt(rate)
                    ),
                ));
            }
        }
        if let (Some(d), None) = (self.duration_s, self.requests) {
            let expected = d * peak;
            if expected > MAX_REQUESTS as f64 {
                return Err(Error::usage(
                    "--duration",
                    format!(
                        "{} s at up to {} req/s ({flag}) is about {expected:.4e} requests, more than the \
                         {MAX_REQUESTS} one simulation may issue; shorten --duration or give --requests",
                        nt(d),
                        nt(peak)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// An upper estimate of the requests a run will issue, for sizing metrics collection: the
    /// exact count when [`request_count`](Self::request_count) knows it, else `--duration` × the
    /// pattern's peak rate (Poisson/Gamma rate, sinusoid maximum, largest piecewise step) × 1.05
    /// + 100 (Poisson counts fluctuate), capped by `requests`; `None` when unbounded.
    pub fn expected_requests(&self) -> Option<u64> {
        if let Some(n) = self.request_count() {
            return Some(n);
        }
        let d = self.duration_s?;
        let peak = match self.arrival_pattern()? {
            ArrivalPattern::Poisson { rps } | ArrivalPattern::Gamma { rps, .. } | ArrivalPattern::Constant { rps } => {
                *rps
            }
            ArrivalPattern::Sinusoid { max_rps, .. } => *max_rps,
            ArrivalPattern::Piecewise { steps } => steps.iter().map(|s| s.1).fold(0.0, f64::max),
            ArrivalPattern::Trace => self.trace.as_ref()?.mean_rate_rps()? * self.trace_rate_scale,
        };
        let est = (d * peak * 1.05 + 100.0).ceil();
        let est = if est.is_finite() && est < u64::MAX as f64 {
            est as u64
        } else {
            u64::MAX
        };
        Some(self.requests.map_or(est, |n| n.min(est)))
    }

    /// Number of requests that will be issued, if known up front: the request cap (see
    /// `requests`) for closed loop and for open loop without a duration; with a duration, the
    /// exact count for the deterministic patterns (Constant, Trace) and `None` for random ones.
    /// Also `None` for a piecewise schedule ending with rate 0 (it may stop early) and for an
    /// invalid spec's unbounded cases.
    pub fn request_count(&self) -> Option<u64> {
        let cap = self.cap();
        let Some(p) = self.arrival_pattern() else {
            return cap;
        };
        if let ArrivalPattern::Piecewise { steps } = p {
            if steps.last().is_none_or(|s| s.1 <= 0.0) {
                return None;
            }
        }
        let Some(d) = self.duration_s else {
            return cap;
        };
        let dur_ns = secs_to_ns(d);
        let time_of: Box<dyn Fn(u64) -> f64> = match p {
            &ArrivalPattern::Constant { rps } => Box::new(move |j| j as f64 / rps), // as ArrivalGen::Constant
            ArrivalPattern::Trace => {
                let trace = Arc::clone(self.trace.as_ref()?);
                let clock = TraceClock::new(trace, self.trace_rate_scale);
                if clock.period() <= 0.0 {
                    return cap;
                }
                Box::new(move |j| clock.time_of(j))
            }
            _ => return None,
        };
        // count of j ≥ 0 with arrival ns(j) ≤ dur_ns (arrival times are non-decreasing in j)
        let within = |j: u64| secs_to_ns(time_of(j)) <= dur_ns;
        let limit = cap.unwrap_or(u64::MAX);
        let (mut lo, mut hi) = (0_u64, 1_u64); // within(lo) holds (first arrival at 0)
        while hi < limit && within(hi) {
            lo = hi;
            hi = hi.saturating_mul(2);
        }
        let hi = hi.min(limit);
        if within(hi.saturating_sub(1)) && hi == limit {
            return Some(limit);
        }
        // invariant: within(lo), !within(hi)
        let (mut lo, mut hi) = (lo, hi);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if within(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo + 1)
    }

    /// Mean offered rate, requests/s, when it is known: the pattern's [`ArrivalPattern::mean_rps`],
    /// or for trace replay the trace's mean rate × `trace_rate_scale`; `None` for closed loop.
    pub fn mean_rps(&self) -> Option<f64> {
        match self.arrival_pattern()? {
            ArrivalPattern::Trace => Some(self.trace.as_ref()?.mean_rate_rps()? * self.trace_rate_scale),
            p => p.mean_rps(),
        }
    }

    /// Validates the spec and builds its generator.
    pub fn generator(&self) -> Result<RequestGenerator> {
        self.validate()?;
        let arrivals = match self.arrival_pattern() {
            None => None,
            Some(p) => Some(ArrivalGen::new(
                p,
                self.seed,
                self.trace.as_ref(),
                self.trace_rate_scale,
            )?),
        };
        let lengths = match &self.lengths {
            LengthModel::Dist { isl, osl } if self.sessions.is_some() => {
                let (Some(s), LoadSpec::Concurrency(n)) = (&self.sessions, &self.load) else {
                    return Err(Error::usage("--sessions", "sessions need closed-loop load"));
                };
                LengthGen::Sessions(Box::new(SessionGen::new(s, isl, osl, self.seed, *n)?))
            }
            LengthModel::Dist { isl, osl } => LengthGen::Dist {
                isl: isl.sampler()?,
                osl: osl.sampler()?,
                isl_rng: sub_stream(self.seed, Stream::Lengths, 0),
                osl_rng: sub_stream(self.seed, Stream::Lengths, 1),
            },
            LengthModel::Trace => LengthGen::Trace {
                trace: Arc::clone(self.trace.as_ref().ok_or_else(|| {
                    Error::usage(
                        "--trace",
                        "request lengths from a trace need a trace (--trace NAME|FILE)",
                    )
                })?),
                next: 0,
            },
        };
        let prefix = match &self.shared_prefix {
            Some(p) => Some(p.generator(self.seed)?),
            None => None,
        };
        Ok(RequestGenerator {
            arrivals,
            lengths,
            prefix,
            limit: self.cap(),
            duration_ns: if arrivals_present(&self.load) {
                self.duration_s.map(secs_to_ns)
            } else {
                None
            },
            issued: 0,
            last_ns: 0,
            done: false,
        })
    }
}

fn arrivals_present(load: &LoadSpec) -> bool {
    matches!(load, LoadSpec::OpenLoop(_))
}

// One per generator, matched on every request: inline (not boxed) on purpose.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum LengthGen {
    Dist {
        isl: Sampler,
        osl: Sampler,
        isl_rng: ChaCha8Rng,
        osl_rng: ChaCha8Rng,
    },
    Trace {
        trace: Arc<Trace>,
        next: usize,
    },
    /// Each shape is the first turn of a new session.
    Sessions(Box<SessionGen>),
}

impl LengthGen {
    #[inline]
    fn next(&mut self) -> RequestShape {
        match self {
            LengthGen::Dist {
                isl,
                osl,
                isl_rng,
                osl_rng,
            } => RequestShape::new(isl.sample(isl_rng), osl.sample(osl_rng)),
            LengthGen::Trace { trace, next } => {
                let shape = trace.rows.get(*next).map_or(RequestShape::new(1, 1), |r| RequestShape {
                    isl: r.isl,
                    osl: r.osl,
                    // a trace with prefix block ids (Mooncake) names each row's content
                    content: trace.prefix.as_ref().map(|_| content::ContentRef {
                        content: content::Content::TraceRow { row: *next as u32 },
                        covered_tokens: r.isl,
                    }),
                });
                *next += 1;
                if *next >= trace.rows.len() {
                    *next = 0;
                }
                shape
            }
            LengthGen::Sessions(g) => g.start(),
        }
    }
}

/// Produces the requests of a [`WorkloadSpec`] (build with [`WorkloadSpec::generator`]).
#[derive(Debug, Clone)]
pub struct RequestGenerator {
    arrivals: Option<ArrivalGen>,
    lengths: LengthGen,
    prefix: Option<PrefixGen>,
    limit: Option<u64>,
    duration_ns: Option<u64>,
    issued: u64,
    last_ns: u64,
    done: bool,
}

impl RequestGenerator {
    /// Open loop: the next request's arrival time in integer nanoseconds since t = 0
    /// (non-decreasing) and its shape; `None` once the request count or the duration is
    /// exhausted (and forever after), and always `None` for closed-loop load.
    ///
    /// The first request arrives at t = 0 for Constant and Trace, and after the first random gap
    /// for Poisson, Gamma, Sinusoid and Piecewise. An arrival exactly at `duration_s` is still
    /// issued. Trace replay with more requests than rows repeats the trace, each pass shifted by
    /// the trace span + its mean gap (scaled by `trace_rate_scale`). O(1) amortised,
    /// allocation-free.
    #[inline]
    pub fn next_arrival(&mut self) -> Option<(u64, RequestShape)> {
        if self.done {
            return None;
        }
        let gen = self.arrivals.as_mut()?;
        if self.limit.is_some_and(|n| self.issued >= n) {
            self.done = true;
            return None;
        }
        let Some(t) = gen.next_s() else {
            self.done = true;
            return None;
        };
        let ns = secs_to_ns(t).max(self.last_ns);
        if self.duration_ns.is_some_and(|d| ns > d) {
            self.done = true;
            return None;
        }
        self.last_ns = ns;
        Some((ns, self.next_request()))
    }

    /// The next request's shape (counted as issued).
    #[inline]
    fn next_request(&mut self) -> RequestShape {
        let shape = self.lengths.next();
        let index = self.issued;
        self.issued += 1;
        match &mut self.prefix {
            Some(p) => p.apply(shape, index),
            None => shape,
        }
    }

    /// Closed loop: the next request's shape; `None` once `requests` shapes were issued (for a
    /// trace without `requests`: once every row was issued). On an open-loop spec it returns
    /// shapes without arrival times, up to the same request cap (unbounded when only a duration
    /// limits the spec).
    ///
    /// Sessions: the first turn of a new session (call it N times at t = 0 and whenever
    /// [`next_turn`](Self::next_turn) says a session is over); its key is
    /// [`RequestShape::session`].
    #[inline]
    pub fn next_shape(&mut self) -> Option<RequestShape> {
        if self.done {
            return None;
        }
        if self.limit.is_some_and(|n| self.issued >= n) {
            self.done = true;
            return None;
        }
        Some(self.next_request())
    }

    /// Sessions: called when a turn of `session` (its [`RequestShape::session`]) completes;
    /// returns the think time in integer nanoseconds (the next turn arrives that long after the
    /// response's last token) and the next turn's shape, or `None` when that session is over (its
    /// turns are done, its next prompt would pass [`MAX_TOKENS`], the session is unknown, or the
    /// request budget is used up; then start a new session with
    /// [`next_shape`](Self::next_shape), which returns `None` once the budget is used up).
    /// Always `None` without sessions. O(1), allocation-free.
    #[inline]
    pub fn next_turn(&mut self, session: u64) -> Option<(u64, RequestShape)> {
        let LengthGen::Sessions(g) = &mut self.lengths else {
            return None;
        };
        if self.done || self.limit.is_some_and(|n| self.issued >= n) {
            g.end(session);
            self.done = true;
            return None;
        }
        let next = g.next_turn(session)?;
        self.issued += 1;
        Some(next)
    }

    /// Requests issued so far.
    pub fn issued(&self) -> u64 {
        self.issued
    }

    /// Whether the generator will issue no more requests (known after a call returned `None`).
    pub fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod content_tests;
#[cfg(test)]
mod tests;
