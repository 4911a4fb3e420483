//! Multi-turn sessions (AIPerf's multi-turn conversations): N sessions in flight, each a closed
//! loop of turns. Turn `t`'s prompt is the whole history, every earlier user message and
//! response, then a new user message:
//!
//! `isl_t = Σ_{i<t} (msg_i + osl_i) + msg_t`
//!
//! with `msg_0` from `--isl`, later messages from `--turn-isl` (default: the `--isl`
//! distribution) and `osl_t` from `--osl`. Between a response's last token and the next turn the
//! user thinks (`--think-time`, milliseconds). A session's turn count is drawn when it starts
//! (`--turns`); it also ends early when its next prompt would be longer than [`MAX_TOKENS`].
//!
//! Content: [`Content::Session`] `{ session }` with `covered_tokens = isl_t + osl_t` (the next
//! prompt contains the response), so every turn's blocks are a prefix of the next turn's (see
//! [`super::content`]).
//!
//! How the simulator drives it (through [`super::RequestGenerator`]): `next_shape` N times at
//! t = 0 and whenever a session ends (each call starts a new session: its first turn);
//! `next_turn(session)` when a turn completes, which gives the think time and the next turn, or
//! `None` when the session is over. `--requests` counts turns: both return `None` once it is used
//! up. A simulator that only calls `next_shape` gets first turns of new sessions (nothing
//! breaks; the sessions it never continues are forgotten, see [`SessionGen::start`]).
//!
//! Randomness: session `k` draws its turn count, message lengths, output lengths and think times
//! from ChaCha stream `k` of [`Stream::Sessions`], in its own order (its position is kept between
//! turns), so a session's content depends only on the seed and `k`, not on the order in which
//! the simulator finishes turns of different sessions (two deployments see the same sessions).
//!
//! State: one small entry (24 bytes + map overhead) per session in flight that has more turns,
//! removed when it ends; O(1) per call (a map lookup and one ChaCha block refill: ≈ 160 ns a turn
//! in a release build, against ≈ 17 ns for a Poisson request of fixed lengths).

use super::content::{Content, ContentRef};
use super::lengths::{LengthDist, RequestShape, Sampler, MAX_TOKENS};
use super::rng::{stream, Stream};
use crate::error::{Error, Result};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Uniform};
use std::collections::HashMap;
use std::fmt;

/// Longest think time, ms (the simulation horizon, 10⁷ s); samples are clamped to it.
pub const MAX_THINK_MS: f64 = crate::sim::horizon::HORIZON_S * 1e3;

/// Multi-turn sessions: what `--turns`, `--turn-isl` and `--think-time` describe (the number of
/// sessions in flight is the load, [`super::LoadSpec::Concurrency`]; the first message and the
/// outputs follow the spec's `--isl` / `--osl`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSpec {
    /// Turns per session, drawn when a session starts (a count ≥ 1; `--turns`).
    pub turns: LengthDist,
    /// Length of the new user message of each turn after the first, tokens (`--turn-isl`);
    /// `None`: the first message's distribution (`--isl`).
    pub turn_isl: Option<LengthDist>,
    /// Delay between a response's last token and the next turn's arrival, ms (`--think-time`).
    pub think_time_ms: DelayDist,
}

impl SessionSpec {
    /// Sessions of `turns` turns, later messages as the first, no think time.
    pub fn new(turns: LengthDist) -> Self {
        SessionSpec {
            turns,
            turn_isl: None,
            think_time_ms: DelayDist::Fixed(0.0),
        }
    }

    /// Checks the spec, naming `--turns`, `--turn-isl` or `--think-time` in errors.
    pub fn validate(&self) -> Result<()> {
        self.turns.validate("--turns")?;
        if let Some(d) = &self.turn_isl {
            d.validate("--turn-isl")?;
        }
        self.think_time_ms.validate("--think-time")
    }
}

/// A delay distribution, milliseconds; samples are clamped to `[0, MAX_THINK_MS]`.
///
/// Text syntax ([`DelayDist::parse`], used by `--think-time`; [`Display`](fmt::Display) writes it
/// back): `MS` or `fixed:MS`, `uniform:MIN:MAX`, `exponential:MEAN`, `normal:MEAN:STD` (negative
/// samples become 0, as AIPerf's turn delay), `lognormal:MEAN:STD` (mean and standard deviation
/// of the delays themselves).
#[derive(Debug, Clone, PartialEq)]
pub enum DelayDist {
    /// Always this delay, ms (≥ 0).
    Fixed(f64),
    /// Uniform on `[min, max]` ms.
    Uniform {
        /// Shortest delay, ms (≥ 0).
        min: f64,
        /// Longest delay, ms (≥ `min`).
        max: f64,
    },
    /// Exponential with this mean, ms (> 0).
    Exponential {
        /// Mean delay, ms.
        mean: f64,
    },
    /// Normal, clamped at 0.
    Normal {
        /// Mean delay, ms (≥ 0).
        mean: f64,
        /// Standard deviation, ms (≥ 0).
        std: f64,
    },
    /// Log-normal whose delays have this mean and standard deviation.
    Lognormal {
        /// Mean delay, ms (> 0).
        mean: f64,
        /// Standard deviation, ms (≥ 0).
        std: f64,
    },
}

const DELAY_SYNTAX: &str =
    "milliseconds (e.g. 500) or uniform:MIN:MAX, exponential:MEAN, normal:MEAN:STD, lognormal:MEAN:STD (ms)";

impl DelayDist {
    /// Parses the syntax documented on [`DelayDist`] for `flag`; errors name the flag.
    pub fn parse(flag: &str, s: &str) -> Result<Self> {
        let s = s.trim();
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        let num = |name: &str, t: &str| -> Result<f64> {
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(Error::usage(
                    flag,
                    format!("expected {name} as a finite number of ms, got \"{t}\""),
                )),
            }
        };
        let want = |n: usize, syntax: &str| -> Result<()> {
            if parts.len() == n {
                Ok(())
            } else {
                Err(Error::usage(flag, format!("expected {syntax}, got \"{s}\"")))
            }
        };
        let kind = parts[0].to_ascii_lowercase();
        let d = match kind.as_str() {
            "fixed" => {
                want(2, "fixed:MS")?;
                DelayDist::Fixed(num("MS", parts[1])?)
            }
            "uniform" => {
                want(3, "uniform:MIN:MAX")?;
                DelayDist::Uniform {
                    min: num("MIN", parts[1])?,
                    max: num("MAX", parts[2])?,
                }
            }
            "exponential" | "exp" => {
                want(2, "exponential:MEAN")?;
                DelayDist::Exponential {
                    mean: num("MEAN", parts[1])?,
                }
            }
            "normal" => {
                want(3, "normal:MEAN:STD")?;
                DelayDist::Normal {
                    mean: num("MEAN", parts[1])?,
                    std: num("STD", parts[2])?,
                }
            }
            "lognormal" => {
                want(3, "lognormal:MEAN:STD")?;
                DelayDist::Lognormal {
                    mean: num("MEAN", parts[1])?,
                    std: num("STD", parts[2])?,
                }
            }
            _ if parts.len() == 1 => match s.parse::<f64>() {
                Ok(v) if v.is_finite() => DelayDist::Fixed(v),
                _ => return Err(Error::usage(flag, format!("expected {DELAY_SYNTAX}, got \"{s}\""))),
            },
            _ => return Err(Error::usage(flag, format!("expected {DELAY_SYNTAX}, got \"{s}\""))),
        };
        d.validate(flag)?;
        Ok(d)
    }

    /// Checks the parameters (also of a value built in code), naming `flag` in the error.
    pub fn validate(&self, flag: &str) -> Result<()> {
        self.check()
            .map_err(|e| Error::usage(flag, format!("{e} (in \"{self}\")")))
    }

    fn check(&self) -> std::result::Result<(), String> {
        let ms = |name: &str, v: f64| {
            if v.is_finite() && (0.0..=MAX_THINK_MS).contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be a number of ms in [0, {MAX_THINK_MS:e}], got {v}"
                ))
            }
        };
        match *self {
            DelayDist::Fixed(v) => ms("the delay", v),
            DelayDist::Uniform { min, max } => {
                ms("MIN", min)?;
                ms("MAX", max)?;
                if max < min {
                    return Err(format!("MAX must be ≥ MIN, got MIN {min} > MAX {max}"));
                }
                Ok(())
            }
            DelayDist::Exponential { mean } => {
                ms("MEAN", mean)?;
                if mean <= 0.0 {
                    return Err(format!("MEAN must be > 0 ms, got {mean} (a fixed 0 is `0`)"));
                }
                Ok(())
            }
            DelayDist::Normal { mean, std } => {
                ms("MEAN", mean)?;
                ms("STD", std)
            }
            DelayDist::Lognormal { mean, std } => {
                ms("MEAN", mean)?;
                ms("STD", std)?;
                if mean <= 0.0 {
                    return Err(format!("MEAN must be > 0 ms, got {mean}"));
                }
                Ok(())
            }
        }
    }

    /// Mean delay, ms, before clamping (exact except for a normal with mass below 0).
    pub fn mean_ms(&self) -> f64 {
        match *self {
            DelayDist::Fixed(v) => v,
            DelayDist::Uniform { min, max } => (min + max) / 2.0,
            DelayDist::Exponential { mean } | DelayDist::Normal { mean, .. } | DelayDist::Lognormal { mean, .. } => {
                mean
            }
        }
    }

    fn sampler(&self) -> Result<DelaySampler> {
        let bad = |e: &dyn fmt::Display| Error::usage("--think-time", format!("{e} (in \"{self}\")"));
        Ok(match *self {
            DelayDist::Fixed(v) => DelaySampler::Fixed(ms_to_ns(v)),
            DelayDist::Uniform { min, max } => {
                DelaySampler::Uniform(Uniform::new_inclusive(min, max).map_err(|e| bad(&e))?)
            }
            DelayDist::Exponential { mean } => DelaySampler::Exp(Exp::new(1.0 / mean).map_err(|e| bad(&e))?),
            DelayDist::Normal { mean, std } => DelaySampler::Normal(Normal::new(mean, std).map_err(|e| bad(&e))?),
            DelayDist::Lognormal { mean, std } => {
                let sigma2 = (1.0 + (std / mean).powi(2)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                DelaySampler::LogNormal(LogNormal::new(mu, sigma2.sqrt()).map_err(|e| bad(&e))?)
            }
        })
    }
}

impl fmt::Display for DelayDist {
    /// Writes the [`DelayDist::parse`] syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DelayDist::Fixed(v) => write!(f, "{v}"),
            DelayDist::Uniform { min, max } => write!(f, "uniform:{min}:{max}"),
            DelayDist::Exponential { mean } => write!(f, "exponential:{mean}"),
            DelayDist::Normal { mean, std } => write!(f, "normal:{mean}:{std}"),
            DelayDist::Lognormal { mean, std } => write!(f, "lognormal:{mean}:{std}"),
        }
    }
}

/// Milliseconds → integer nanoseconds, clamped to `[0, MAX_THINK_MS]` (NaN → 0).
#[inline]
fn ms_to_ns(ms: f64) -> u64 {
    let ms = if ms > 0.0 { ms.min(MAX_THINK_MS) } else { 0.0 };
    (ms * 1e6 + 0.5) as u64
}

#[derive(Debug, Clone)]
enum DelaySampler {
    Fixed(u64),
    Uniform(Uniform<f64>),
    Exp(Exp<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
}

impl DelaySampler {
    /// One delay, ns.
    #[inline]
    fn sample_ns(&self, rng: &mut ChaCha8Rng) -> u64 {
        match self {
            DelaySampler::Fixed(ns) => *ns,
            DelaySampler::Uniform(d) => ms_to_ns(d.sample(rng)),
            DelaySampler::Exp(d) => ms_to_ns(d.sample(rng)),
            DelaySampler::Normal(d) => ms_to_ns(d.sample(rng)),
            DelaySampler::LogNormal(d) => ms_to_ns(d.sample(rng)),
        }
    }
}

/// A session in flight with turns left.
#[derive(Debug, Clone, Copy)]
struct Live {
    /// Turns issued so far (≥ 1).
    issued: u32,
    /// Turns it will have (unless its prompt outgrows `MAX_TOKENS` first).
    turns: u32,
    /// Tokens of its history: the last turn's prompt and response.
    history: u32,
    /// Where its random stream stands (ChaCha word position).
    word_pos: u64,
}

/// The session state behind [`super::RequestGenerator`]'s `next_shape` / `next_turn`.
#[derive(Debug, Clone)]
pub(crate) struct SessionGen {
    turns: Sampler,
    first_isl: Sampler,
    turn_isl: Sampler,
    osl: Sampler,
    think: DelaySampler,
    /// `stream(seed, Sessions)`, never drawn from: each session clones it onto its own stream.
    base: ChaCha8Rng,
    live: HashMap<u64, Live>,
    next_session: u64,
    /// Sessions in flight (N ≥ 1), bounding `live`.
    in_flight: u64,
}

impl SessionGen {
    /// The generator for `spec` with first messages from `isl`, outputs from `osl`, `in_flight`
    /// sessions at a time (validated specs).
    pub(crate) fn new(
        spec: &SessionSpec,
        isl: &LengthDist,
        osl: &LengthDist,
        seed: u64,
        in_flight: u32,
    ) -> Result<Self> {
        spec.validate()?;
        Ok(SessionGen {
            turns: spec.turns.sampler()?,
            first_isl: isl.sampler()?,
            turn_isl: spec.turn_isl.as_ref().unwrap_or(isl).sampler()?,
            osl: osl.sampler()?,
            think: spec.think_time_ms.sampler()?,
            base: stream(seed, Stream::Sessions),
            live: HashMap::with_capacity(in_flight.min(1 << 16) as usize),
            next_session: 0,
            in_flight: u64::from(in_flight.max(1)),
        })
    }

    fn rng(&self, session: u64, word_pos: u64) -> ChaCha8Rng {
        let mut r = self.base.clone();
        r.set_stream(session);
        r.set_word_pos(u128::from(word_pos));
        r
    }

    /// Starts the next session and returns its first turn.
    ///
    /// A simulator that never continues sessions (never calls `next_turn`) would leave every one
    /// here: when twice as many sessions as may be in flight are remembered, only the newest N
    /// are kept (amortised O(1); never happens when sessions are continued or ended, since then
    /// at most N are in flight).
    pub(crate) fn start(&mut self) -> RequestShape {
        let session = self.next_session;
        self.next_session += 1;
        let mut rng = self.rng(session, 0);
        let turns = self.turns.sample(&mut rng);
        let isl = self.first_isl.sample(&mut rng);
        let osl = self.osl.sample(&mut rng);
        if turns > 1 {
            if self.live.len() as u64 >= 2 * self.in_flight {
                let oldest_kept = self.next_session.saturating_sub(self.in_flight);
                self.live.retain(|&k, _| k >= oldest_kept);
            }
            self.live.insert(
                session,
                Live {
                    issued: 1,
                    turns,
                    history: isl.saturating_add(osl),
                    word_pos: rng.get_word_pos() as u64,
                },
            );
        }
        shape(session, isl, osl)
    }

    /// The think time (ns) and next turn of `session` after one of its turns completed, or
    /// `None` when the session is over (its turns done, its next prompt too long, or unknown:
    /// ended, never started or forgotten); an ended session is forgotten.
    pub(crate) fn next_turn(&mut self, session: u64) -> Option<(u64, RequestShape)> {
        let live = *self.live.get(&session)?;
        if live.issued >= live.turns {
            self.live.remove(&session);
            return None;
        }
        let mut rng = self.rng(session, live.word_pos);
        let think = self.think.sample_ns(&mut rng);
        let msg = self.turn_isl.sample(&mut rng);
        let osl = self.osl.sample(&mut rng);
        let isl = u64::from(live.history) + u64::from(msg);
        if isl > u64::from(MAX_TOKENS) {
            self.live.remove(&session);
            return None;
        }
        let isl = isl as u32;
        let issued = live.issued + 1;
        if issued >= live.turns {
            // the last turn: nothing more to remember
            self.live.remove(&session);
        } else if let Some(l) = self.live.get_mut(&session) {
            *l = Live {
                issued,
                turns: live.turns,
                history: isl + osl,
                word_pos: rng.get_word_pos() as u64,
            };
        }
        Some((think, shape(session, isl, osl)))
    }

    /// Forgets `session` (the request budget is used up).
    pub(crate) fn end(&mut self, session: u64) {
        self.live.remove(&session);
    }

    /// Sessions remembered (in flight with turns left).
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.live.len()
    }
}

fn shape(session: u64, isl: u32, osl: u32) -> RequestShape {
    RequestShape {
        isl,
        osl,
        content: Some(ContentRef {
            content: Content::Session { session },
            covered_tokens: isl + osl,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_syntax_round_trips_and_errors_name_the_flag() {
        let p = |s: &str| DelayDist::parse("--think-time", s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(p("0"), DelayDist::Fixed(0.0));
        assert_eq!(p(" 1500.5 "), DelayDist::Fixed(1500.5));
        assert_eq!(p("fixed:3"), DelayDist::Fixed(3.0));
        assert_eq!(p("exp:20"), DelayDist::Exponential { mean: 20.0 });
        for s in [
            "250",
            "uniform:100:900",
            "exponential:500",
            "normal:500:100",
            "lognormal:500:200",
        ] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
        let e = |s: &str| DelayDist::parse("--think-time", s).unwrap_err().to_string();
        assert!(
            e("-1").starts_with("--think-time: the delay must be a number of ms in [0,"),
            "{}",
            e("-1")
        );
        assert!(e("abc").contains("expected milliseconds"));
        assert!(e("uniform:5:1").contains("MAX must be ≥ MIN"));
        assert!(e("uniform:5").contains("expected uniform:MIN:MAX"));
        assert!(e("exponential:0").contains("MEAN must be > 0"));
        assert!(e("lognormal:0:1").contains("MEAN must be > 0"));
        assert!(e("normal:1:nan").contains("STD as a finite number"));
        assert!(e("1e30").contains("[0, 1e10]"));
        assert!(e("gauss:1").contains("expected milliseconds"));
        assert_eq!(ms_to_ns(1.5), 1_500_000);
        assert_eq!(ms_to_ns(-3.0), 0);
        assert_eq!(ms_to_ns(f64::NAN), 0);
    }

    #[test]
    fn delay_sample_means() {
        let mut rng = stream(5, Stream::Sessions);
        for s in [
            "uniform:100:300",
            "exponential:200",
            "normal:200:20",
            "lognormal:200:100",
        ] {
            let d = DelayDist::parse("--think-time", s).unwrap();
            let smp = d.sampler().unwrap();
            let n = 100_000;
            let mean = (0..n).map(|_| smp.sample_ns(&mut rng) as f64 * 1e-6).sum::<f64>() / n as f64;
            assert!((mean - d.mean_ms()).abs() / d.mean_ms() < 0.02, "{s}: {mean}");
        }
    }

    fn gen(turns: &str, isl: &str, turn_isl: Option<&str>, osl: &str, n: u32) -> SessionGen {
        let spec = SessionSpec {
            turns: LengthDist::parse("--turns", turns).unwrap(),
            turn_isl: turn_isl.map(|s| LengthDist::parse("--turn-isl", s).unwrap()),
            think_time_ms: DelayDist::parse("--think-time", "uniform:10:20").unwrap(),
        };
        let isl = LengthDist::parse("--isl", isl).unwrap();
        let osl = LengthDist::parse("--osl", osl).unwrap();
        SessionGen::new(&spec, &isl, &osl, 3, n).unwrap()
    }

    #[test]
    fn turns_carry_the_history() {
        let mut g = gen("3", "100", Some("20"), "7", 1);
        let first = g.start();
        assert_eq!((first.isl, first.osl), (100, 7));
        let (d1, t2) = g.next_turn(0).expect("turn 2");
        assert!((10_000_000..=20_000_000).contains(&d1), "{d1}");
        assert_eq!(t2.isl, 100 + 7 + 20);
        let (_, t3) = g.next_turn(0).expect("turn 3");
        assert_eq!(t3.isl, 127 + 7 + 20);
        assert_eq!(t3.content.map(|c| c.covered_tokens), Some(154 + 7));
        assert_eq!(g.remembered(), 0, "the last turn ends the session");
        assert!(g.next_turn(0).is_none());
        assert!(g.next_turn(99).is_none(), "unknown sessions are over");
    }

    #[test]
    fn a_session_does_not_depend_on_the_others() {
        // session 1's turns are the same whether session 0 advances first or not
        let run = |interleave: bool| {
            let mut g = gen("uniform:2:6", "uniform:10:500", None, "uniform:1:50", 2);
            g.start();
            let mut out = vec![g.start()];
            if interleave {
                while g.next_turn(0).is_some() {}
            }
            while let Some((d, s)) = g.next_turn(1) {
                out.push(s);
                out.push(RequestShape::new(d as u32, 0));
            }
            out
        };
        let a = run(false);
        assert!(a.len() >= 3);
        assert_eq!(a, run(true));
    }

    #[test]
    fn prompts_past_the_token_cap_end_the_session() {
        let mut g = gen("1000", "400000", None, "1", 1);
        g.start();
        assert!(g.next_turn(0).is_some()); // 800,001 tokens
        assert!(g.next_turn(0).is_none(), "1,200,002 tokens is past MAX_TOKENS");
        assert_eq!(g.remembered(), 0);
    }

    #[test]
    fn sessions_never_continued_are_forgotten() {
        let mut g = gen("5", "10", None, "1", 3);
        for _ in 0..1000 {
            g.start();
            assert!(g.remembered() <= 6);
        }
        // the newest are still there
        assert!(g.next_turn(999).is_some());
        g.end(999);
        assert!(g.next_turn(999).is_none());
    }
}
