//! The workload flags of every command that simulates (`simulate`, `sweep`): load, lengths,
//! traces, prompt content (shared prefixes, sessions), seed; [`WorkloadFlags::workloads`] turns
//! them into the library's [`WorkloadSpec`]s, refusing flags the chosen load would ignore.

use crate::error::{Error, Result};
use crate::workload::{
    self, ArrivalPattern, DelayDist, LengthDist, LengthModel, LoadSpec, SessionSpec, SharedPrefixSpec, WorkloadSpec,
};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;

/// Inter-arrival distribution of open-loop load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ArrivalKind {
    /// Exponential gaps.
    #[default]
    Poisson,
    /// Gamma gaps with `--cv`.
    Gamma,
    /// Equal gaps.
    Constant,
}

/// Workload flags.
#[derive(Debug, Clone, Args, Default)]
pub struct WorkloadFlags {
    /// Closed loop: N requests in flight, a new one sent the instant one finishes (AIPerf
    /// `--concurrency`). Repeat (or comma-separate) to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        help_heading = "Workload"
    )]
    pub concurrency: Vec<i64>,
    /// Open loop: mean request rate, req/s. Repeat (or comma-separate) to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        help_heading = "Workload"
    )]
    pub rps: Vec<f64>,
    /// Inter-arrival distribution for --rps [default: poisson].
    #[arg(long, value_enum, help_heading = "Workload")]
    pub arrival: Option<ArrivalKind>,
    /// Coefficient of variation of the gaps of `--arrival gamma` (1 = Poisson) [default: 1].
    #[arg(long, help_heading = "Workload")]
    pub cv: Option<f64>,
    /// Time-varying Poisson rate between MIN and MAX req/s over PERIOD_S seconds
    /// (rate(t) = MIN + (MAX−MIN)(1−cos 2πt/PERIOD)/2).
    #[arg(long, value_name = "MIN:MAX:PERIOD_S", help_heading = "Workload")]
    pub sinusoid: Option<String>,
    /// Piecewise-constant rate schedule: CSV with header `start_s,rps`.
    #[arg(long, value_name = "FILE.csv", help_heading = "Workload")]
    pub rate_file: Option<PathBuf>,
    /// Request trace: a shipped name (splitwise_conv, splitwise_code, mooncake_conversation,
    /// mooncake_synthetic) or a file: a Vidur/Splitwise CSV (`arrived_at`, `num_prefill_tokens`,
    /// `num_decode_tokens`) or Mooncake JSONL (one object a line: `timestamp` ms, `input_length`,
    /// `output_length`, `hash_ids` prefix block ids), told by content. Replays its arrival times
    /// unless --rps/--concurrency/--sinusoid give the arrivals; lengths come from the trace.
    #[arg(long, value_name = "NAME|FILE", help_heading = "Workload")]
    pub trace: Option<String>,
    /// Tokens per prefix block id (`hash_ids`) of a Mooncake trace [default: 512].
    #[arg(
        long,
        value_name = "TOKENS",
        allow_negative_numbers = true,
        help_heading = "Workload"
    )]
    pub trace_block_size: Option<i64>,
    /// Trace replay time compression: 2 replays the trace's arrival times twice as fast
    /// [default: 1].
    #[arg(long, help_heading = "Workload")]
    pub trace_rate_scale: Option<f64>,
    /// Prompt length: N, or uniform:MIN:MAX, normal:MEAN:STD, lognormal:MEAN:STD, zipf:MAX:EXP.
    #[arg(long, default_value = "2048", help_heading = "Workload")]
    pub isl: String,
    /// Output length (≥ 1), same syntax as --isl.
    #[arg(long, default_value = "256", help_heading = "Workload")]
    pub osl: String,
    /// Shared system prompts (inference-perf shared_prefix): N prompt groups; each request picks
    /// one uniformly at random, and its prompt is the group's system prompt (--prefix-len) then
    /// an --isl question of its own. Works with every load; needs --prefix-len.
    #[arg(long, value_name = "N", allow_negative_numbers = true, help_heading = "Workload")]
    pub prefix_groups: Option<i64>,
    /// System prompt length of each --prefix-groups group, tokens (--isl syntax; drawn once per
    /// group).
    #[arg(long, value_name = "LEN", help_heading = "Workload")]
    pub prefix_len: Option<String>,
    /// Multi-turn sessions (AIPerf multi-turn): N sessions in flight, each a closed loop of
    /// --turns turns; a turn's prompt is the whole history (every earlier message and response)
    /// then a new message (--isl for the first, --turn-isl after); a new session starts when one
    /// ends; --requests counts turns. Repeat (or comma-separate) to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        help_heading = "Workload"
    )]
    pub sessions: Vec<i64>,
    /// Turns per --sessions session: N, or a distribution with the --isl syntax (drawn per
    /// session).
    #[arg(long, value_name = "N|DIST", help_heading = "Workload")]
    pub turns: Option<String>,
    /// New user message of each --sessions turn after the first, tokens (--isl syntax)
    /// [default: the --isl distribution].
    #[arg(long, value_name = "LEN", help_heading = "Workload")]
    pub turn_isl: Option<String>,
    /// Delay between a --sessions response's last token and the next turn, ms: MS, or
    /// uniform:MIN:MAX, exponential:MEAN, normal:MEAN:STD, lognormal:MEAN:STD [default: 0].
    #[arg(long, value_name = "MS|DIST", help_heading = "Workload")]
    pub think_time: Option<String>,
    /// Requests per run (default 100 for --concurrency, the trace length for a trace replay,
    /// 1000 otherwise unless --duration is given).
    #[arg(long, allow_negative_numbers = true, help_heading = "Workload")]
    pub requests: Option<i64>,
    /// Open loop (--rps, --sinusoid, --rate-file, trace replay): stop arrivals after this many
    /// seconds (≤ 10^7 s, the simulation horizon).
    #[arg(long, value_name = "SECONDS", help_heading = "Workload")]
    pub duration: Option<f64>,
    /// Random seed (arrivals and lengths use separate streams derived from it).
    #[arg(long, default_value_t = 1, help_heading = "Workload")]
    pub seed: u64,
    /// Warm-up requests (AIPerf --warmup-request-count): sent first, through the same load, and
    /// left out of every metric; --requests counts the measured ones.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Workload")]
    pub warmup_requests: u64,
}

impl WorkloadFlags {
    /// Rejects flags that would be silently ignored by the chosen load (exit 2, naming both
    /// flags): `--arrival` without `--rps`; `--cv` without `--arrival gamma`;
    /// `--trace-rate-scale` unless a trace's arrival times are replayed; `--duration` with only
    /// closed-loop load (`--concurrency` runs stop after `--requests`).
    fn check_applicable(&self) -> Result<()> {
        self.check_content_flags()?;
        if self.arrival.is_some() && self.rps.is_empty() {
            return Err(Error::usage(
                "--arrival",
                "sets the gaps between --rps arrivals; give --rps R (the other loads have their own arrival process)",
            ));
        }
        if self.cv.is_some() && self.arrival != Some(ArrivalKind::Gamma) {
            return Err(Error::usage(
                "--cv",
                format!(
                    "applies only to --arrival gamma (the arrivals here are {}); add --arrival gamma or drop --cv",
                    match (self.arrival, self.rps.is_empty()) {
                        (Some(ArrivalKind::Constant), _) => "--arrival constant",
                        (_, false) => "--arrival poisson, the default",
                        (_, true) => "not given by --rps",
                    }
                ),
            ));
        }
        if self.trace_block_size.is_some() && self.trace.is_none() {
            return Err(Error::usage(
                "--trace-block-size",
                "sets the tokens per hash id of a Mooncake trace: it needs --trace NAME|FILE",
            ));
        }
        let other_arrivals =
            !self.concurrency.is_empty() || !self.rps.is_empty() || self.sinusoid.is_some() || self.rate_file.is_some();
        if self.trace_rate_scale.is_some() {
            if self.trace.is_none() {
                return Err(Error::usage(
                    "--trace-rate-scale",
                    "speeds up a replayed trace: it needs --trace NAME|FILE",
                ));
            }
            if other_arrivals {
                return Err(Error::usage(
                    "--trace-rate-scale",
                    "applies when --trace's arrival times are replayed, but --concurrency/--rps/--sinusoid/--rate-file \
                     give the arrivals here (the trace gives only lengths)",
                ));
            }
        }
        let open_loop = !self.rps.is_empty()
            || self.sinusoid.is_some()
            || self.rate_file.is_some()
            || (self.trace.is_some() && !other_arrivals);
        if self.duration.is_some() && !open_loop {
            return Err(Error::usage(
                "--duration",
                "applies to open-loop load (--rps, --sinusoid, --rate-file, trace replay); --concurrency and \
                 --sessions runs stop after --requests",
            ));
        }
        Ok(())
    }

    /// The shared-prefix and session flags: `--prefix-len` needs `--prefix-groups` and back;
    /// `--turns`/`--turn-isl`/`--think-time` need `--sessions`; `--sessions` needs `--turns` and
    /// is its own load (not with `--concurrency`, `--rps`, `--sinusoid`, `--rate-file`, `--trace`
    /// or `--prefix-groups`); `--prefix-groups` not with `--trace`.
    fn check_content_flags(&self) -> Result<()> {
        match (self.prefix_groups.is_some(), self.prefix_len.is_some()) {
            (true, false) => {
                return Err(Error::usage(
                    "--prefix-groups",
                    "needs --prefix-len LEN (the system prompt length of each group, tokens)",
                ))
            }
            (false, true) => {
                return Err(Error::usage(
                    "--prefix-len",
                    "is the system prompt length of --prefix-groups groups: give --prefix-groups N",
                ))
            }
            _ => {}
        }
        if self.prefix_groups.is_some() && self.trace.is_some() {
            return Err(Error::usage(
                "--prefix-groups",
                "not with --trace: the lengths come from the trace (a Mooncake trace has its own prefix block ids)",
            ));
        }
        if self.sessions.is_empty() {
            for (flag, given) in [
                ("--turns", self.turns.is_some()),
                ("--turn-isl", self.turn_isl.is_some()),
                ("--think-time", self.think_time.is_some()),
            ] {
                if given {
                    return Err(Error::usage(
                        flag,
                        "applies to multi-turn sessions: give --sessions N (sessions in flight)",
                    ));
                }
            }
            return Ok(());
        }
        for (other, given) in [
            ("--concurrency", !self.concurrency.is_empty()),
            ("--rps", !self.rps.is_empty()),
            ("--sinusoid", self.sinusoid.is_some()),
            ("--rate-file", self.rate_file.is_some()),
            ("--trace", self.trace.is_some()),
            ("--prefix-groups", self.prefix_groups.is_some()),
        ] {
            if given {
                return Err(Error::usage(
                    "--sessions",
                    format!(
                        "is a load of its own (N closed-loop sessions; a turn's prompt is its session's history), \
                         so it cannot be combined with {other}"
                    ),
                ));
            }
        }
        if self.turns.is_none() {
            return Err(Error::usage(
                "--sessions",
                "needs --turns N|DIST (turns per session, e.g. 5 or uniform:2:8)",
            ));
        }
        Ok(())
    }

    /// The shared-prefix spec of `--prefix-groups` / `--prefix-len`.
    fn shared_prefix(&self) -> Result<Option<SharedPrefixSpec>> {
        let (Some(n), Some(len)) = (self.prefix_groups, &self.prefix_len) else {
            return Ok(None);
        };
        if !(1..=i64::from(workload::MAX_PREFIX_GROUPS)).contains(&n) {
            return Err(Error::usage(
                "--prefix-groups",
                format!(
                    "expected between 1 and {} prompt groups, got {n}",
                    workload::MAX_PREFIX_GROUPS
                ),
            ));
        }
        Ok(Some(SharedPrefixSpec {
            groups: n as u32,
            prefix_len: LengthDist::parse("--prefix-len", len)?,
        }))
    }

    /// The session spec of `--turns`, `--turn-isl`, `--think-time` (when `--sessions` is given).
    fn session_spec(&self) -> Result<Option<SessionSpec>> {
        if self.sessions.is_empty() {
            return Ok(None);
        }
        let turns = LengthDist::parse("--turns", self.turns.as_deref().unwrap_or(""))?;
        Ok(Some(SessionSpec {
            turns,
            turn_isl: match &self.turn_isl {
                Some(s) => Some(LengthDist::parse("--turn-isl", s)?),
                None => None,
            },
            think_time_ms: match &self.think_time {
                Some(s) => DelayDist::parse("--think-time", s)?,
                None => DelayDist::Fixed(0.0),
            },
        }))
    }
}

/// Default closed-loop levels of the embedded default (the Dynamo comparison's AIPerf levels).
pub const DEFAULT_CONCURRENCY: [u32; 4] = [1, 4, 7, 9];

impl WorkloadFlags {
    /// True when some flag names the load (sessions, concurrency, rates, a trace); without one,
    /// the CLI runs the embedded default's levels ([`DEFAULT_CONCURRENCY`]).
    pub fn names_a_load(&self) -> bool {
        !(self.sessions.is_empty()
            && self.concurrency.is_empty()
            && self.rps.is_empty()
            && self.sinusoid.is_none()
            && self.rate_file.is_none()
            && self.trace.is_none())
    }

    /// True when no flag chose the load or lengths (the embedded default workload applies).
    pub fn is_default_load(&self) -> bool {
        !self.names_a_load()
            && self.prefix_groups.is_none()
            && self.isl == "2048"
            && self.osl == "256"
            && self.requests.is_none()
            && self.duration.is_none()
            && self.warmup_requests == 0
    }

    /// Resolves `--trace` with `--trace-block-size` (≥ 1; only for a trace with hash ids).
    fn resolve_trace(&self, spec: &str) -> Result<workload::Trace> {
        let Some(n) = self.trace_block_size else {
            return workload::resolve_trace(spec);
        };
        if !(1..=i64::from(workload::MAX_TOKENS)).contains(&n) {
            return Err(Error::usage(
                "--trace-block-size",
                format!("expected tokens per hash id in [1, {}], got {n}", workload::MAX_TOKENS),
            ));
        }
        let t = workload::resolve_trace_with(spec, n as u32)?;
        if t.prefix.is_none() {
            return Err(Error::usage(
                "--trace-block-size",
                format!(
                    "{} has no prefix block ids (`hash_ids`), so it has no block size to set",
                    t.source
                ),
            ));
        }
        Ok(t)
    }

    /// The workloads to run: one per --concurrency / --rps value (or one for a sinusoid, rate
    /// file or trace; or the default concurrency levels when no load is given).
    pub fn workloads(&self) -> Result<Vec<WorkloadSpec>> {
        self.check_applicable()?;
        let trace = match &self.trace {
            Some(t) => Some(Arc::new(self.resolve_trace(t)?)),
            None => None,
        };
        let lengths = if trace.is_some() {
            LengthModel::Trace
        } else {
            LengthModel::Dist {
                isl: LengthDist::parse("--isl", &self.isl)?,
                osl: LengthDist::parse("--osl", &self.osl)?,
            }
        };
        let requests = match self.requests {
            Some(n) if n < 1 => return Err(Error::usage("--requests", format!("must be ≥ 1, got {n}"))),
            Some(n) => Some(n as u64),
            None => None,
        };
        let shared_prefix = self.shared_prefix()?;
        let sessions = self.session_spec()?;
        let mut loads: Vec<LoadSpec> = Vec::new();
        for &n in &self.sessions {
            if !(1..=1_000_000).contains(&n) {
                return Err(Error::usage(
                    "--sessions",
                    format!("must be between 1 and 1000000 sessions in flight, got {n}"),
                ));
            }
            loads.push(LoadSpec::Concurrency(n as u32));
        }
        for &c in &self.concurrency {
            if !(1..=1_000_000).contains(&c) {
                return Err(Error::usage(
                    "--concurrency",
                    format!("must be between 1 and 1000000, got {c}"),
                ));
            }
            loads.push(LoadSpec::Concurrency(c as u32));
        }
        for &r in &self.rps {
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::usage(
                    "--rps",
                    format!("must be a positive rate in req/s, got {r}"),
                ));
            }
            loads.push(LoadSpec::OpenLoop(match self.arrival.unwrap_or_default() {
                ArrivalKind::Poisson => ArrivalPattern::Poisson { rps: r },
                ArrivalKind::Gamma => ArrivalPattern::Gamma {
                    rps: r,
                    cv: self.cv.unwrap_or(1.0),
                },
                ArrivalKind::Constant => ArrivalPattern::Constant { rps: r },
            }));
        }
        if let Some(s) = &self.sinusoid {
            loads.push(LoadSpec::OpenLoop(ArrivalPattern::parse_sinusoid(s)?));
        }
        if let Some(p) = &self.rate_file {
            loads.push(LoadSpec::OpenLoop(ArrivalPattern::Piecewise {
                steps: workload::load_rate_schedule(p)?,
            }));
        }
        if loads.is_empty() {
            match &trace {
                Some(t) if t.has_arrivals() => loads.push(LoadSpec::OpenLoop(ArrivalPattern::Trace)),
                Some(_) => return Err(Error::usage(
                    "--trace",
                    "the trace has no `arrived_at` column; give the arrivals with --rps, --concurrency or --sinusoid",
                )),
                None => loads.extend(DEFAULT_CONCURRENCY.iter().map(|&c| LoadSpec::Concurrency(c))),
            }
        }
        let mut out = Vec::new();
        for load in loads {
            let requests = match (&load, requests) {
                (_, Some(n)) => Some(n),
                (LoadSpec::Concurrency(_), None) if trace.is_none() => Some(100),
                (LoadSpec::OpenLoop(ArrivalPattern::Trace), None) => None,
                (_, None) if trace.is_some() => Some(trace.as_ref().map(|t| t.rows.len() as u64).unwrap_or(1)),
                (_, None) if self.duration.is_some() => None,
                (_, None) => Some(1000),
            };
            let w = WorkloadSpec {
                load,
                requests,
                duration_s: self.duration,
                lengths: lengths.clone(),
                trace: trace.clone(),
                trace_rate_scale: self.trace_rate_scale.unwrap_or(1.0),
                seed: self.seed,
                warmup_requests: self.warmup_requests,
                shared_prefix: shared_prefix.clone(),
                sessions: sessions.clone(),
            };
            w.validate()?;
            out.push(w);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> WorkloadFlags {
        WorkloadFlags {
            isl: "2048".into(),
            osl: "256".into(),
            seed: 1,
            ..Default::default()
        }
    }

    #[test]
    fn flags_that_do_not_apply_are_errors() {
        let e = |w: WorkloadFlags| w.workloads().unwrap_err().to_string();
        let mut w = flags();
        w.cv = Some(2.0);
        w.rps = vec![1.0];
        let m = e(w);
        assert!(m.starts_with("--cv: ") && m.contains("--arrival gamma"), "{m}");
        let mut w = flags();
        w.trace_rate_scale = Some(2.0);
        let m = e(w);
        assert!(m.starts_with("--trace-rate-scale: ") && m.contains("--trace"), "{m}");
        let mut w = flags();
        w.trace = Some("splitwise_conv".into());
        w.trace_rate_scale = Some(2.0);
        w.rps = vec![1.0];
        let m = e(w);
        assert!(m.starts_with("--trace-rate-scale: ") && m.contains("--rps"), "{m}");
        let mut w = flags();
        w.arrival = Some(ArrivalKind::Gamma);
        w.concurrency = vec![2];
        let m = e(w);
        assert!(m.starts_with("--arrival: ") && m.contains("--rps"), "{m}");
        let mut w = flags();
        w.duration = Some(10.0);
        w.concurrency = vec![2];
        let m = e(w);
        assert!(m.starts_with("--duration: ") && m.contains("--concurrency"), "{m}");
        // the applicable combinations still work
        let mut w = flags();
        w.arrival = Some(ArrivalKind::Gamma);
        w.cv = Some(2.0);
        w.rps = vec![1.0];
        w.requests = Some(10);
        assert!(w.workloads().is_ok());
        let mut w = flags();
        w.trace = Some("splitwise_conv".into());
        w.trace_rate_scale = Some(2.0);
        w.requests = Some(10);
        assert!(w.workloads().is_ok());
    }

    #[test]
    fn prefix_session_and_block_size_flags() {
        let e = |w: WorkloadFlags| w.workloads().unwrap_err().to_string();
        let starts = |w: WorkloadFlags, want: &str| {
            let m = e(w);
            assert!(m.starts_with(want), "{m}");
        };
        // --trace-block-size: needs a trace with hash ids, ≥ 1
        let mut w = flags();
        w.trace_block_size = Some(256);
        starts(w, "--trace-block-size: sets the tokens per hash id");
        let mut w = flags();
        w.trace = Some("splitwise_conv".into());
        w.trace_block_size = Some(256);
        starts(
            w,
            "--trace-block-size: splitwise_conv (shipped trace) has no prefix block ids",
        );
        let mut w = flags();
        w.trace = Some("mooncake_synthetic".into());
        w.trace_block_size = Some(0);
        starts(w, "--trace-block-size: expected tokens per hash id in [1,");
        let mut w = flags();
        w.trace = Some("mooncake_synthetic".into());
        w.trace_block_size = Some(256);
        let ws = w.workloads().unwrap();
        assert_eq!(ws[0].trace.as_ref().map(|t| t.block_tokens()), Some(256));
        assert_eq!(ws[0].request_count(), Some(3_993));
        // shared prefixes: both flags, not with a trace
        let mut w = flags();
        w.prefix_groups = Some(4);
        starts(w, "--prefix-groups: needs --prefix-len");
        let mut w = flags();
        w.prefix_len = Some("100".into());
        starts(w, "--prefix-len: ");
        let mut w = flags();
        w.prefix_groups = Some(0);
        w.prefix_len = Some("100".into());
        w.concurrency = vec![2];
        starts(w, "--prefix-groups: expected between 1 and");
        let mut w = flags();
        w.prefix_groups = Some(2);
        w.prefix_len = Some("100".into());
        w.trace = Some("mooncake_synthetic".into());
        starts(w, "--prefix-groups: not with --trace");
        let mut w = flags();
        w.prefix_groups = Some(2);
        w.prefix_len = Some("uniform:0:3".into());
        w.rps = vec![2.0];
        starts(w, "--prefix-len: ");
        let mut w = flags();
        w.prefix_groups = Some(2);
        w.prefix_len = Some("100".into());
        w.rps = vec![2.0, 3.0];
        let ws = w.workloads().unwrap();
        assert_eq!(ws.len(), 2);
        assert!(ws
            .iter()
            .all(|w| w.shared_prefix.as_ref().is_some_and(|p| p.groups == 2)));
        // sessions: a load of their own, with --turns; the session flags need --sessions
        for (flag, set) in [
            (
                "--turns",
                (|w: &mut WorkloadFlags| w.turns = Some("3".into())) as fn(&mut WorkloadFlags),
            ),
            ("--turn-isl", |w| w.turn_isl = Some("30".into())),
            ("--think-time", |w| w.think_time = Some("500".into())),
        ] {
            let mut w = flags();
            w.concurrency = vec![2];
            set(&mut w);
            starts(w, &format!("{flag}: applies to multi-turn sessions"));
        }
        let mut w = flags();
        w.sessions = vec![4];
        starts(w, "--sessions: needs --turns");
        let session = || {
            let mut w = flags();
            w.sessions = vec![4];
            w.turns = Some("uniform:2:5".into());
            w
        };
        for (other, set) in [
            (
                "--concurrency",
                (|w: &mut WorkloadFlags| w.concurrency = vec![2]) as fn(&mut WorkloadFlags),
            ),
            ("--rps", |w| w.rps = vec![2.0]),
            ("--sinusoid", |w| w.sinusoid = Some("1:2:3".into())),
            ("--trace", |w| w.trace = Some("mooncake_synthetic".into())),
            ("--prefix-groups", |w| {
                w.prefix_groups = Some(2);
                w.prefix_len = Some("10".into());
            }),
        ] {
            let mut w = session();
            set(&mut w);
            let m = e(w);
            assert!(
                m.starts_with("--sessions: is a load of its own") && m.ends_with(other),
                "{m}"
            );
        }
        let mut w = session();
        w.sessions = vec![0];
        starts(w, "--sessions: must be between 1 and 1000000");
        let mut w = session();
        w.think_time = Some("-5".into());
        starts(w, "--think-time: ");
        let mut w = session();
        w.turns = Some("0".into());
        starts(w, "--turns: ");
        let mut w = session();
        w.duration = Some(5.0);
        starts(w, "--duration: ");
        let mut w = session();
        w.sessions = vec![1, 8];
        w.turn_isl = Some("64".into());
        w.think_time = Some("exponential:1000".into());
        assert!(!w.is_default_load());
        let ws = w.workloads().unwrap();
        assert_eq!(ws.len(), 2);
        assert_eq!(ws[1].sessions_in_flight(), Some(8));
        assert_eq!(ws[1].request_count(), Some(100), "--requests defaults to 100 turns");
        let s = ws[1].sessions.as_ref().unwrap();
        assert_eq!(s.turn_isl, Some(LengthDist::Fixed(64)));
        assert_eq!(s.think_time_ms, DelayDist::Exponential { mean: 1000.0 });
    }
}
