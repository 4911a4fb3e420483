//! The discrete-event simulator.
//!
//! # Time, ordering, determinism
//! Simulated time is integer nanoseconds from 0. Events (arrivals, iteration ends, KV-transfer
//! completions) sit in one min-heap keyed by (time, sequence number): events at the same
//! instant run in the order they were scheduled. Random draws come from per-purpose seeded
//! streams (see [`crate::workload`]). A simulation is a plain value with no global state, so
//! identical inputs and seed give bit-identical results and many simulations can run in
//! parallel.
//!
//! # Entities
//! * the arrival source ([`crate::workload::RequestGenerator`]): open loop (pre-drawn times) or
//!   closed loop (a new request the instant one finishes, AIPerf `--concurrency` semantics);
//! * the router(s) ([`router`]): one over agg replicas, or one over prefill workers and one over
//!   decode workers;
//! * engines ([`engine`]): iterations, scheduler, KV blocks, preemption;
//! * requests ([`request`]): state in a slot-reusing slab.
//!
//! # Request latency off the engines
//! Each request carries a latency between the engines and the client: the calibration's
//! `frontend_latency_ms` plus the per-request latency its prefill engine's profile holds
//! ([`crate::profile::step_model`]), times the request's latency jitter
//! ([`variability`]). Its first and last tokens reach the client that long after the engine
//! produced them (so it adds to TTFT and E2E, not to ITL), and a closed-loop client sends its
//! next request when the last token reaches it.
//!
//! # Disaggregated serving
//! A request is routed to a prefill worker and prefilled there. When its prefill ends the KV
//! transfer to a decode worker (chosen at that moment) starts: `kv_transfer_latency_ms` + ISL ×
//! KV bytes per token (from the model card) ÷ `kv_transfer_gbps` (older files:
//! ISL × `kv_transfer_ms_per_token`); the prefill worker holds the request's KV blocks until it
//! ends, and stays busy `prefill_handoff_ms` after the step (hand-off work off the TTFT path).
//! The request then waits at the decode worker for KV blocks and a batch slot.
//! * `first_token = decode` (NVIDIA Dynamo's path, the default): the decode worker's first step
//!   emits the first token, so TTFT = queue + prefill + transfer + decode admission + one
//!   decode step + latency; the decode worker generates all OSL tokens.
//! * `first_token = prefill` (a vLLM P/D proxy, TRT-LLM's context server): the prefill worker
//!   returns the first token at prefill end; the decode worker generates the other OSL − 1.
//!
//! A decode worker re-admits a preempted request without recompute time (it has no prefill
//! curve).
//!
//! # Horizon
//! No simulated time may pass [`HORIZON_S`] = 10⁷ s (≈ 116 days): inputs that would (absurd
//! calibration scales, profile times, rates, trace times) are rejected where they are read, and
//! the event loop checks every event time, stopping with [`crate::Error::Horizon`] (exit 2)
//! instead of wrapping. See [`horizon`].

pub mod aiperf_export;
pub mod batch;
pub mod calibration;
pub mod deployment;
pub mod engine;
pub mod events;
pub mod horizon;
pub mod kv;
pub mod prefix_cache;
pub mod request;
pub mod router;
pub mod summary;
pub mod variability;

use crate::error::{Error, Result};
use crate::metrics::{MetricsCollector, RequestRecord, RunMetrics, Sla};
use crate::profile::Role;
use crate::workload::{self, LoadSpec, RequestShape, WorkloadSpec};
use calibration::Calibration;
use deployment::{Deployment, Mode};
use engine::{ms_to_ns, Engine, EngineParams, Exit};
use events::{Event, EventQueue};
use request::{Phase, Req, RequestSlab};
use router::{Router, WorkerLoad};
use variability::{Jitter, Variability};

pub use horizon::{HORIZON_NS, HORIZON_S};

/// Sub-stream of the `Noise` stream for the KV router's softmax draws (0 is the request latency
/// jitter, 1 + engine index each engine's step jitter).
const ROUTER_SUB_STREAM: u64 = 1 << 40;

/// How per-request metrics are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsMode {
    /// Exact percentiles; keeps every request record (for `--requests-csv`).
    Exact,
    /// Bounded memory histograms (≤ 0.1 % percentile error), for very large runs.
    Streaming,
}

/// Most requests a run keeps per-request records for (56 bytes each, plus the sort buffers of
/// exact percentiles and the `--requests-csv` text: ≈ 0.5 GB at this size). Larger runs stream
/// their metrics into histograms ([`MetricsMode::Streaming`], ≈ 8.5 MB whatever the size), and a
/// per-request output above it is refused. See [`metrics_mode_for`].
pub const MAX_EXACT_REQUESTS: u64 = 2_000_000;

/// Chooses how a run of about `expected` requests (`None`: unknown or unbounded; see
/// [`crate::workload::WorkloadSpec::expected_requests`]) keeps its metrics, for a cap of
/// `max_exact` requests ([`MAX_EXACT_REQUESTS`] in the CLI):
/// * a per-request output asked for (`per_request` names its flag, e.g. `--requests-csv`):
///   [`MetricsMode::Exact`] up to the cap, else a usage error naming that flag;
/// * otherwise [`MetricsMode::Exact`] up to the cap (exact percentiles) and
///   [`MetricsMode::Streaming`] above it or when the count is unknown; the `bool` is true when
///   streaming was chosen because of the size (callers say so on stderr).
pub fn metrics_mode_for(
    expected: Option<u64>,
    per_request: Option<&str>,
    max_exact: u64,
) -> Result<(MetricsMode, bool)> {
    let fits = expected.is_some_and(|n| n <= max_exact);
    match per_request {
        Some(flag) if !fits => Err(Error::usage(
            flag,
            match expected {
                Some(n) => format!(
                    "keeps one record per request, and this run issues about {n} requests, more than the \
                     {max_exact} a per-request output may hold; lower --requests (summary, --json and \
                     --aiperf-json have no such limit)"
                ),
                None => format!(
                    "keeps one record per request, but this run's request count is unbounded; give --requests N \
                     (N ≤ {max_exact})"
                ),
            },
        )),
        Some(_) => Ok((MetricsMode::Exact, false)),
        None if fits => Ok((MetricsMode::Exact, false)),
        None => Ok((MetricsMode::Streaming, true)),
    }
}

/// Everything one simulation needs.
#[derive(Debug, Clone)]
pub struct SimSpec {
    /// The deployment.
    pub deployment: Deployment,
    /// The workload.
    pub workload: WorkloadSpec,
    /// Calibration parameters.
    pub calibration: Calibration,
    /// SLA targets for goodput.
    pub sla: Sla,
    /// Metrics collection mode.
    pub metrics: MetricsMode,
    /// Service-time variability (seeded by the workload's seed).
    pub variability: Variability,
}

/// Result of a simulation.
pub struct SimOutcome {
    /// Summary metrics.
    pub metrics: RunMetrics,
    /// The collector (for AIPerf export and per-request records).
    pub collector: MetricsCollector,
    /// Engine iterations run.
    pub iterations: u64,
    /// Events processed.
    pub events: u64,
    /// Preemptions.
    pub preemptions: u64,
    /// Requests that could never fit in an engine's KV cache (dropped).
    pub rejected: u64,
    /// Requests issued.
    pub issued: u64,
    /// Simulated time at the end, s.
    pub sim_time_s: f64,
    /// Peak requests in flight.
    pub peak_in_flight: usize,
    /// Output tokens produced by the engines (equals Σ OSL of completed requests).
    pub tokens_generated: u64,
    /// Highest KV usage (blocks in use / capacity) any engine reached, 0..=1.
    pub peak_kv_usage: f64,
    /// KV blocks still in use at the end over all engines (0 when every request finished).
    pub kv_blocks_in_use_at_end: u64,
    /// Prompt tokens prefilled over all engines (computed, not served from a prefix cache;
    /// recomputes after preemption included).
    pub prefill_tokens_computed: u64,
    /// Prefix-cache counters per engine that has a cache (agg engines, prefill workers), in
    /// engine order; empty when prefix caching is off.
    pub prefix_cache: Vec<prefix_cache::PrefixCacheStats>,
}

impl SimOutcome {
    /// Share of the prompt tokens looked up that the prefix caches served, 0..=1; `None` when no
    /// request was looked up (no content identity in the workload, or caching off).
    pub fn prefix_cache_hit_rate(&self) -> Option<f64> {
        let (hit, looked) = self
            .prefix_cache
            .iter()
            .fold((0u64, 0u64), |(h, l), s| (h + s.hit_tokens, l + s.lookup_tokens));
        (looked > 0).then(|| hit as f64 / looked as f64)
    }
}

struct Simulation<'a> {
    spec: &'a SimSpec,
    q: EventQueue,
    reqs: RequestSlab,
    engines: Vec<Engine>,
    /// Index of the first decode worker (disagg), = engines.len() for agg.
    decode_base: usize,
    front_router: Router,
    decode_router: Router,
    gen: crate::workload::RequestGenerator,
    closed_loop: bool,
    next_id: u64,
    collector: MetricsCollector,
    exits: Vec<Exit>,
    rejected: u64,
    /// Latency off the engines before jitter: frontend + the prefill engine's per-request
    /// latency, ms.
    latency_ms: f64,
    latency_jitter: Jitter,
    /// The first event that would have passed the horizon (the run stops there).
    past_horizon: Option<(&'static str, u64)>,
    /// KV router: cost per worker and the prompt's block identities (scratch), and the stream
    /// of its softmax draws.
    route_costs: Vec<f64>,
    route_hashes: Vec<u64>,
    route_rng: rand_chacha::ChaCha8Rng,
}

/// What passed the horizon, and the inputs behind that kind of delay.
fn horizon_cause(ev: Event) -> &'static str {
    match ev {
        Event::Arrival(_) => {
            "a request would arrive then; check the arrival inputs (--rps against --requests, --duration, \
             --sinusoid, --rate-file, the trace's arrival times and --trace-rate-scale)"
        }
        Event::IterationEnd(_) => {
            "an engine iteration would end then; check the step times: --calibration time scales and \
             per-iteration overheads, and the profile's TTFT/ITL values"
        }
        Event::TransferDone(_) => "a KV transfer would end then; check the --calibration KV-transfer values",
        Event::HandoffDone(_) => "a prefill hand-off would end then; check the --calibration hand-off time",
    }
}

/// Cause of a completion past the horizon.
const COMPLETION_CAUSE: &str =
    "a response would reach the client then; check the --calibration latency added to every response";

/// The error for something at `t` ns past the horizon.
fn horizon_error(cause: &str, t: u64) -> Error {
    Error::Horizon {
        horizon: horizon::HORIZON_TEXT,
        problem: format!("at {} {cause}", horizon::time_text(t)),
    }
}

/// Runs one simulation to completion.
pub fn simulate(spec: &SimSpec) -> Result<SimOutcome> {
    spec.workload.validate()?;
    spec.calibration.validate("--calibration")?;
    let dep = &spec.deployment;
    let cal = &spec.calibration;
    let var = spec.variability;
    let seed = spec.workload.seed;
    let mut engines = Vec::new();
    let mut pp = EngineParams::new(dep, &dep.prefill, cal);
    pp.trace = spec.workload.trace.clone();
    let prefill_latency_ms = pp.step.per_request_ms;
    for _ in 0..dep.prefill_workers {
        let jitter = Jitter::new(var.step_cv, seed, 1 + engines.len() as u64);
        engines.push(Engine::new(
            pp.clone(),
            dep.prefill.kv_capacity_tokens,
            dep.block_size,
            jitter,
        ));
    }
    let decode_base = engines.len();
    if dep.mode == Mode::Disagg {
        let dp = EngineParams::new(dep, &dep.decode, cal);
        for _ in 0..dep.decode_workers {
            let jitter = Jitter::new(var.step_cv, seed, 1 + engines.len() as u64);
            engines.push(Engine::new(
                dp.clone(),
                dep.decode.kv_capacity_tokens,
                dep.block_size,
                jitter,
            ));
        }
        if cal.kv_transfer_gbps > 0.0 && dep.kv_bytes_per_token.is_none() {
            return Err(Error::usage(
                "--calibration",
                format!(
                    "kv_transfer_gbps needs the model's KV bytes per token, and no model card is known for `{}`; \
                     give kv_transfer_ms_per_token instead",
                    dep.model
                ),
            ));
        }
    }
    for e in &engines {
        let needs_prefill = matches!(e.p.role, Role::Agg | Role::Prefill);
        let needs_decode = matches!(e.p.role, Role::Agg | Role::Decode);
        if (needs_prefill && e.p.prefill.is_none()) || (needs_decode && e.p.decode.is_none()) {
            return Err(Error::usage(
                "--profile",
                format!("the {} engine lacks the profile data it needs", e.p.role),
            ));
        }
        if e.p.max_batched_tokens < e.p.max_num_seqs && e.p.role != Role::Prefill {
            return Err(Error::usage(
                "--max-batched-tokens",
                format!(
                    "{} is below --max-num-seqs {}: a full decode batch would not fit the token budget",
                    e.p.max_batched_tokens, e.p.max_num_seqs
                ),
            ));
        }
    }
    let collector = match spec.metrics {
        MetricsMode::Exact => {
            MetricsCollector::exact_with_capacity(spec.workload.request_count().unwrap_or(0).min(1 << 22) as usize)
        }
        MetricsMode::Streaming => MetricsCollector::streaming_with_sla(spec.sla),
    };
    let mut sim = Simulation {
        spec,
        q: EventQueue::default(),
        reqs: RequestSlab::default(),
        engines,
        decode_base,
        front_router: Router::new(dep.router),
        decode_router: Router::new(dep.router),
        gen: spec.workload.generator()?,
        closed_loop: matches!(spec.workload.load, LoadSpec::Concurrency(_)),
        next_id: 0,
        collector,
        exits: Vec::new(),
        rejected: 0,
        latency_ms: cal.frontend_latency_ms + prefill_latency_ms,
        latency_jitter: Jitter::new(var.latency_cv, seed, 0),
        past_horizon: None,
        route_costs: Vec::new(),
        route_hashes: Vec::new(),
        route_rng: crate::workload::sub_stream(seed, crate::workload::Stream::Noise, ROUTER_SUB_STREAM),
    };
    sim.run()
}

impl Simulation<'_> {
    /// Schedules `ev` at `now + delay` (ns) unless that passes the horizon, in which case the run
    /// is marked to stop with [`horizon_error`].
    #[inline]
    fn schedule(&mut self, now: u64, delay: u64, ev: Event) {
        match now.checked_add(delay) {
            Some(t) if t <= HORIZON_NS => self.q.push(t, ev),
            t => {
                if self.past_horizon.is_none() {
                    self.past_horizon = Some((horizon_cause(ev), t.unwrap_or(u64::MAX)));
                }
            }
        }
    }

    fn new_request(&mut self, shape: RequestShape, at: u64) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let latency_ns = ms_to_ns(self.latency_ms * self.latency_jitter.factor());
        self.reqs.insert(Req {
            id,
            isl: shape.isl,
            osl: shape.osl,
            arrival_ns: at,
            first_scheduled_ns: u64::MAX,
            first_token_ns: u64::MAX,
            generated: 0,
            prefill_target: shape.isl,
            prefilled: 0,
            join_step: 0,
            kv_at_join: 0,
            engine: 0,
            decode_engine: 0,
            held_blocks: 0,
            preemptions: 0,
            latency_ns,
            content: shape.content,
            prefix_blocks: 0,
            cached_tokens: 0,
            generation: 0,
            phase: Phase::Waiting,
        })
    }

    fn push_next_open_arrival(&mut self) {
        if let Some((t, shape)) = self.gen.next_arrival() {
            let slot = self.new_request(shape, t);
            self.schedule(t, 0, Event::Arrival(slot));
        }
    }

    fn push_next_closed_arrival(&mut self, now: u64) {
        if let Some(shape) = self.gen.next_shape() {
            let slot = self.new_request(shape, now);
            self.schedule(now, 0, Event::Arrival(slot));
        }
    }

    /// Closed loop: the client of a request that ended at `now` (completed, or dropped) sends
    /// its next request — the next turn of its session after the think time, or, when it was
    /// not in a session or its session is over, a new request (a new session's first turn).
    fn next_closed_request(&mut self, content: Option<workload::content::ContentRef>, now: u64) {
        if let Some(session) = content.and_then(|c| c.session()) {
            if let Some((think_ns, shape)) = self.gen.next_turn(session) {
                let at = now.saturating_add(think_ns);
                let slot = self.new_request(shape, at);
                self.schedule(now, think_ns, Event::Arrival(slot));
                return;
            }
        }
        self.push_next_closed_arrival(now);
    }

    fn run(&mut self) -> Result<SimOutcome> {
        match &self.spec.workload.load {
            LoadSpec::Concurrency(n) => {
                for _ in 0..*n {
                    self.push_next_closed_arrival(0);
                }
            }
            LoadSpec::OpenLoop(_) => self.push_next_open_arrival(),
        }
        let mut events = 0u64;
        let mut now = 0;
        while let Some((t, ev)) = self.q.pop() {
            if let Some((cause, at)) = self.past_horizon {
                return Err(horizon_error(cause, at));
            }
            now = t;
            events += 1;
            match ev {
                Event::Arrival(slot) => {
                    if !self.closed_loop {
                        self.push_next_open_arrival();
                    }
                    self.route_arrival(slot, t);
                }
                Event::IterationEnd(e) => self.end_iteration(e as usize, t),
                Event::TransferDone(slot) => self.transfer_done(slot, t),
                Event::HandoffDone(e) => {
                    self.engines[e as usize].busy = false;
                    self.try_start(e as usize, t);
                }
            }
        }
        if let Some((cause, at)) = self.past_horizon {
            return Err(horizon_error(cause, at));
        }
        let metrics = self.collector.finish(&self.spec.sla, self.spec.deployment.num_gpus());
        let collector = std::mem::replace(&mut self.collector, MetricsCollector::exact());
        Ok(SimOutcome {
            metrics,
            collector,
            iterations: self.engines.iter().map(|e| e.iterations).sum(),
            events,
            preemptions: self.engines.iter().map(|e| e.preemptions).sum(),
            rejected: self.rejected,
            issued: self.next_id,
            sim_time_s: now as f64 / 1e9,
            peak_in_flight: self.reqs.high_water(),
            tokens_generated: self.engines.iter().map(|e| e.tokens_generated).sum(),
            peak_kv_usage: self
                .engines
                .iter()
                .map(|e| {
                    if e.kv.capacity == 0 {
                        0.0
                    } else {
                        e.peak_kv_blocks as f64 / e.kv.capacity as f64
                    }
                })
                .fold(0.0, f64::max),
            kv_blocks_in_use_at_end: self.engines.iter().map(|e| e.kv.used()).sum(),
            prefill_tokens_computed: self.engines.iter().map(|e| e.prefill_tokens_computed).sum(),
            prefix_cache: self
                .engines
                .iter()
                .filter_map(|e| e.cache.as_ref().map(|c| c.stats))
                .collect(),
        })
    }

    fn route_arrival(&mut self, slot: u32, now: u64) {
        let n = self.decode_base;
        let i = if self.spec.deployment.router == router::RouterPolicy::Kv && n > 1 {
            self.kv_route(slot, n)
        } else {
            let engines = &self.engines;
            self.front_router.pick(n, |i| WorkerLoad {
                outstanding: engines[i].outstanding,
                kv_usage: engines[i].kv.usage(),
            })
        };
        let r = *self.reqs.get(slot);
        let e = &self.engines[i];
        let need_tokens = if e.p.role == Role::Prefill {
            r.isl as u64
        } else {
            r.isl as u64 + r.osl as u64
        };
        let too_big_decode = self.spec.deployment.mode == Mode::Disagg && {
            let d = &self.engines[self.decode_base];
            d.kv.blocks_for(r.isl as u64 + r.osl as u64) + 1 > d.kv.capacity
        };
        if e.kv.blocks_for(need_tokens) + 1 > e.kv.capacity || too_big_decode {
            self.rejected += 1;
            self.reqs.remove(slot);
            if self.closed_loop {
                self.next_closed_request(r.content, now);
            }
            return;
        }
        self.reqs.get_mut(slot).engine = i as u32;
        let e = &mut self.engines[i];
        e.outstanding += 1;
        e.waiting.push_back(slot);
        self.try_start(i, now);
    }

    /// Dynamo's KV-aware choice of a worker among the first `n` for `slot` (see
    /// [`router::kv_pick`]): cost = `kv_overlap_weight × prefill blocks + the worker's KV blocks
    /// in use`, where prefill blocks = (the worker's pending prefill tokens + the prompt's tokens
    /// it does not have cached) ÷ block size.
    fn kv_route(&mut self, slot: u32, n: usize) -> usize {
        let r = *self.reqs.get(slot);
        let dep = &self.spec.deployment;
        let bs = dep.block_size;
        let prompt_tokens = f64::from(r.isl);
        // the prompt's block identities, computed once and only as far as some worker's
        // cached prefix reaches (most lookups stop after a few blocks)
        let trace = self.spec.workload.trace.as_deref();
        let max = ((r.isl.max(1) - 1) / bs) as usize;
        let mut ids = r
            .content
            .map(|c| workload::content::BlockHashes::new(c, bs, trace).take(max));
        let known = &mut self.route_hashes;
        known.clear();
        self.route_costs.clear();
        for e in &self.engines[..n] {
            let mut cached = 0u32;
            if let (Some(c), Some(ids)) = (&e.cache, ids.as_mut()) {
                loop {
                    if cached as usize == known.len() {
                        match ids.next() {
                            Some(h) => known.push(h),
                            None => break,
                        }
                    }
                    if !c.contains(known[cached as usize]) {
                        break;
                    }
                    cached += 1;
                }
            }
            let new_tokens = (prompt_tokens - f64::from(cached) * f64::from(bs)).max(0.0);
            let pending = e.pending_prefill_tokens(&self.reqs) as f64;
            let prefill_blocks = (pending + new_tokens) / f64::from(bs);
            self.route_costs
                .push(dep.kv_overlap_weight * prefill_blocks + e.kv.used() as f64);
        }
        router::kv_pick(&self.route_costs, dep.router_temperature, &mut self.route_rng)
    }

    #[inline]
    fn try_start(&mut self, e: usize, now: u64) {
        if self.engines[e].busy {
            return;
        }
        if let Some(d) = self.engines[e].start_iteration(now, &mut self.reqs) {
            self.schedule(now, d, Event::IterationEnd(e as u32));
        }
    }

    fn end_iteration(&mut self, e: usize, now: u64) {
        let mut exits = std::mem::take(&mut self.exits);
        let handoff = self.engines[e].finish_iteration(now, &mut self.reqs, &mut exits);
        for x in exits.drain(..) {
            match x {
                Exit::Completed(slot) => self.complete(slot, now),
                // the KV transfer starts when the prefill ends (the hand-off work, if any, keeps
                // the prefill worker busy meanwhile)
                Exit::PrefillDone(slot) => self.start_transfer(slot, now),
            }
        }
        self.exits = exits;
        if handoff > 0 {
            self.engines[e].busy = true;
            self.schedule(now, handoff, Event::HandoffDone(e as u32));
        } else {
            self.try_start(e, now);
        }
    }

    fn complete(&mut self, slot: u32, now: u64) {
        let r = *self.reqs.get(slot);
        // The last token reaches the client the request's latency after the engine produced it.
        let completion_ns = now.saturating_add(r.latency_ns);
        if completion_ns > HORIZON_NS {
            if self.past_horizon.is_none() {
                self.past_horizon = Some((COMPLETION_CAUSE, completion_ns));
            }
            return;
        }
        let rec = RequestRecord {
            id: r.id,
            arrival_ns: r.arrival_ns,
            first_scheduled_ns: r.first_scheduled_ns,
            first_token_ns: r.first_token_ns,
            completion_ns,
            isl: r.isl,
            osl: r.osl,
            preemptions: r.preemptions,
            cached_tokens: r.cached_tokens,
        };
        // warm-up requests (issued first, so the lowest ids) are left out of every metric
        if r.id >= self.spec.workload.warmup_requests {
            self.collector.record(&rec);
        }
        self.reqs.remove(slot);
        if self.closed_loop {
            // AIPerf semantics: the client sends the next request when this one has finished
            // from its point of view, i.e. at the completion time.
            self.next_closed_request(r.content, completion_ns);
        }
    }

    fn start_transfer(&mut self, slot: u32, now: u64) {
        let base = self.decode_base;
        let n = self.engines.len() - base;
        let engines = &self.engines;
        let pick = self.decode_router.pick(n, |i| WorkerLoad {
            outstanding: engines[base + i].outstanding,
            kv_usage: engines[base + i].kv.usage(),
        });
        let d = base + pick;
        self.engines[d].outstanding += 1;
        let r = self.reqs.get_mut(slot);
        r.decode_engine = d as u32;
        let ms = self
            .spec
            .calibration
            .kv_transfer_ms(r.isl as f64, self.spec.deployment.kv_bytes_per_token);
        self.schedule(now, ms_to_ns(ms), Event::TransferDone(slot));
    }

    fn transfer_done(&mut self, slot: u32, now: u64) {
        let r = self.reqs.get(slot);
        let (p, d, held) = (r.engine as usize, r.decode_engine as usize, r.held_blocks);
        self.engines[p].release_held(&mut self.reqs, slot, held);
        let r = self.reqs.get_mut(slot);
        r.held_blocks = 0;
        r.engine = d as u32;
        r.prefill_target = r.isl;
        r.phase = Phase::Waiting;
        self.engines[d].waiting.push_back(slot);
        self.try_start(d, now);
        self.try_start(p, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{ArrivalPattern, LengthModel, WorkloadSpec};

    #[test]
    fn metrics_switch_to_streaming_above_the_cap() {
        let m = |n: Option<u64>, csv: bool| metrics_mode_for(n, csv.then_some("--requests-csv"), 1000);
        assert_eq!(m(Some(1000), false).unwrap(), (MetricsMode::Exact, false));
        assert_eq!(m(Some(1001), false).unwrap(), (MetricsMode::Streaming, true));
        assert_eq!(m(None, false).unwrap(), (MetricsMode::Streaming, true));
        assert_eq!(m(Some(1000), true).unwrap(), (MetricsMode::Exact, false));
        let e = m(Some(1001), true).unwrap_err().to_string();
        assert!(e.starts_with("--requests-csv: ") && e.contains("1000"), "{e}");
        assert!(m(None, true).unwrap_err().to_string().contains("unbounded"));
        // the CLI's cap: 10^8 requests stream
        assert_eq!(
            metrics_mode_for(Some(100_000_000), None, MAX_EXACT_REQUESTS).unwrap().0,
            MetricsMode::Streaming
        );
    }

    #[test]
    fn expected_requests_bounds_duration_runs() {
        let w = |rps: f64, n: Option<u64>, d: Option<f64>| {
            let mut w = WorkloadSpec::new(
                LoadSpec::OpenLoop(ArrivalPattern::Poisson { rps }),
                LengthModel::fixed(10, 2),
                n,
                1,
            );
            w.duration_s = d;
            w
        };
        assert_eq!(w(10.0, Some(500), None).expected_requests(), Some(500));
        // Poisson with a duration: mean × 1.05 + 100
        assert_eq!(w(10.0, None, Some(100.0)).expected_requests(), Some(1150));
        assert_eq!(w(10.0, Some(20), Some(100.0)).expected_requests(), Some(20));
        assert!(
            w(1000.0, None, Some(1e7)).validate().is_err(),
            "duration × rate over the request cap"
        );
        assert!(
            w(1e-300, Some(10), None).validate().is_err(),
            "requests / rate past the horizon"
        );
    }

    #[test]
    fn ms_to_ns_never_wraps() {
        assert_eq!(ms_to_ns(1.5), 1_500_000);
        assert_eq!(ms_to_ns(-1.0), 0);
        assert_eq!(ms_to_ns(f64::NAN), 0);
        assert_eq!(ms_to_ns(f64::INFINITY), horizon::BEYOND_HORIZON_NS);
        assert_eq!(ms_to_ns(1e300), horizon::BEYOND_HORIZON_NS);
    }
}
