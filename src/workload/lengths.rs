//! Request-length models: fixed lengths, distributions, or the lengths of a trace.

use crate::error::{Error, Result};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal, Uniform, Zipf};
use std::fmt;

/// Largest request length in tokens a distribution may produce (samples are clamped to it) and a
/// trace or flag may state.
pub const MAX_TOKENS: u32 = 1_000_000;

/// Token lengths of one request, and where its content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestShape {
    /// Input (prompt) length in tokens, ≥ 1.
    pub isl: u32,
    /// Output length in tokens (including the first token), ≥ 1.
    pub osl: u32,
    /// Content identity for prefix caching and KV-aware routing (`None`: every prompt is new).
    pub content: Option<super::content::ContentRef>,
}

impl RequestShape {
    /// A request of `isl` prompt and `osl` output tokens with no content identity.
    #[inline]
    pub fn new(isl: u32, osl: u32) -> Self {
        RequestShape {
            isl,
            osl,
            content: None,
        }
    }

    /// The session key of a multi-turn session's turn (what
    /// [`RequestGenerator::next_turn`](super::RequestGenerator::next_turn) takes), `None` for
    /// other requests.
    #[inline]
    pub fn session(&self) -> Option<u64> {
        self.content?.session()
    }
}

/// A request-length distribution, in tokens; samples are rounded to the nearest integer and
/// clamped to `[1, MAX_TOKENS]` ([`MAX_TOKENS`] = 1,000,000).
///
/// Text syntax ([`LengthDist::parse`], used by `--isl` / `--osl`; [`Display`](fmt::Display)
/// writes the same syntax back):
///
/// | text | distribution |
/// |---|---|
/// | `2048` (or `fixed:2048`) | always 2048 tokens |
/// | `uniform:MIN:MAX` | integers uniform on `[MIN, MAX]`, both inclusive, `1 ≤ MIN ≤ MAX` |
/// | `normal:MEAN:STD` | normal with that mean and standard deviation (tokens), `MEAN ≥ 1`, `STD ≥ 0` |
/// | `lognormal:MEAN:STD` | log-normal whose *lengths* have that mean and standard deviation (tokens) |
/// | `zipf:MAX:EXPONENT` | Zipf on `1..=MAX` with `P(k) ∝ k^-EXPONENT`, `EXPONENT > 0` |
///
/// Kinds are case-insensitive; all token values must be at most [`MAX_TOKENS`].
#[derive(Debug, Clone, PartialEq)]
pub enum LengthDist {
    /// Always this many tokens (≥ 1).
    Fixed(u32),
    /// Uniform integers in `[min, max]` tokens, both inclusive.
    Uniform {
        /// Smallest length, tokens (≥ 1).
        min: u32,
        /// Largest length, tokens (≥ `min`).
        max: u32,
    },
    /// Normal distribution of lengths.
    Normal {
        /// Mean, tokens (≥ 1).
        mean: f64,
        /// Standard deviation, tokens (≥ 0).
        std: f64,
    },
    /// Log-normal distribution of lengths; `mean`/`std` are those of the resulting lengths, not
    /// of their logarithm.
    Lognormal {
        /// Mean of the lengths, tokens (≥ 1).
        mean: f64,
        /// Standard deviation of the lengths, tokens (≥ 0).
        std: f64,
    },
    /// Zipf distribution on `1..=max` tokens with `P(k) ∝ k^-exponent`.
    Zipf {
        /// Largest length, tokens (≥ 1).
        max: u32,
        /// Exponent (> 0).
        exponent: f64,
    },
}

const SYNTAX: &str =
    "a token count (e.g. 2048) or uniform:MIN:MAX, normal:MEAN:STD, lognormal:MEAN:STD, zipf:MAX:EXPONENT";

fn number(field: &str, s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("expected {field} as a finite number, got \"{}\"", s.trim())),
    }
}

/// A token count: a whole number in `[1, MAX_TOKENS]`.
fn tokens(field: &str, s: &str) -> std::result::Result<u32, String> {
    let v = number(field, s)?;
    check_tokens(field, v)?;
    Ok(v as u32)
}

fn check_tokens(field: &str, v: f64) -> std::result::Result<(), String> {
    if v < 1.0 {
        Err(format!("{field} must be ≥ 1, got {v}"))
    } else if v.fract() != 0.0 {
        Err(format!("{field} must be a whole number of tokens, got {v}"))
    } else if v > MAX_TOKENS as f64 {
        Err(format!("{field} must be ≤ {MAX_TOKENS} tokens, got {v}"))
    } else {
        Ok(())
    }
}

fn check_mean_std(mean: f64, std: f64) -> std::result::Result<(), String> {
    if !mean.is_finite() || mean < 1.0 || mean > MAX_TOKENS as f64 {
        return Err(format!(
            "MEAN must be a number of tokens in [1, {MAX_TOKENS}], got {mean}"
        ));
    }
    if !std.is_finite() || std < 0.0 {
        return Err(format!("STD must be a finite number of tokens ≥ 0, got {std}"));
    }
    Ok(())
}

impl LengthDist {
    /// Parses the text syntax documented on [`LengthDist`] for the flag `flag` (e.g. `--isl`);
    /// errors are [`Error::Usage`] naming the flag and what was expected, e.g.
    /// `--osl: must be ≥ 1, got 0`.
    pub fn parse(flag: &str, s: &str) -> Result<Self> {
        let s = s.trim();
        let parts: Vec<&str> = s.split(':').collect();
        let kind = parts[0].trim().to_ascii_lowercase();
        let want = |n: usize, syntax: &str| -> Result<()> {
            if parts.len() == n {
                Ok(())
            } else {
                Err(Error::usage(flag, format!("expected {syntax}, got \"{s}\"")))
            }
        };
        let u = |e: String| Error::usage(flag, e);
        let dist = match kind.as_str() {
            "fixed" => {
                want(2, "fixed:TOKENS")?;
                LengthDist::Fixed(tokens("TOKENS", parts[1]).map_err(u)?)
            }
            "uniform" => {
                want(3, "uniform:MIN:MAX")?;
                LengthDist::Uniform {
                    min: tokens("MIN", parts[1]).map_err(u)?,
                    max: tokens("MAX", parts[2]).map_err(u)?,
                }
            }
            "normal" => {
                want(3, "normal:MEAN:STD")?;
                LengthDist::Normal {
                    mean: number("MEAN", parts[1]).map_err(u)?,
                    std: number("STD", parts[2]).map_err(u)?,
                }
            }
            "lognormal" => {
                want(3, "lognormal:MEAN:STD")?;
                LengthDist::Lognormal {
                    mean: number("MEAN", parts[1]).map_err(u)?,
                    std: number("STD", parts[2]).map_err(u)?,
                }
            }
            "zipf" => {
                want(3, "zipf:MAX:EXPONENT")?;
                LengthDist::Zipf {
                    max: tokens("MAX", parts[1]).map_err(u)?,
                    exponent: number("EXPONENT", parts[2]).map_err(u)?,
                }
            }
            _ if parts.len() == 1 => match s.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    check_tokens("the length", v).map_err(|e| {
                        // "--osl: must be ≥ 1, got 0"
                        Error::usage(flag, e.trim_start_matches("the length ").to_string())
                    })?;
                    LengthDist::Fixed(v as u32)
                }
                _ => return Err(Error::usage(flag, format!("expected {SYNTAX}, got \"{s}\""))),
            },
            _ => return Err(Error::usage(flag, format!("expected {SYNTAX}, got \"{s}\""))),
        };
        dist.validate(flag)?;
        Ok(dist)
    }

    /// Checks the parameters (also of a value built in code), naming `flag` in the error.
    pub fn validate(&self, flag: &str) -> Result<()> {
        self.check()
            .map_err(|e| Error::usage(flag, format!("{e} (in \"{self}\")")))
    }

    fn check(&self) -> std::result::Result<(), String> {
        match *self {
            LengthDist::Fixed(n) => check_tokens("the length", n as f64),
            LengthDist::Uniform { min, max } => {
                check_tokens("MIN", min as f64)?;
                check_tokens("MAX", max as f64)?;
                if max < min {
                    return Err(format!("MAX must be ≥ MIN, got MIN {min} > MAX {max}"));
                }
                Ok(())
            }
            LengthDist::Normal { mean, std } | LengthDist::Lognormal { mean, std } => check_mean_std(mean, std),
            LengthDist::Zipf { max, exponent } => {
                check_tokens("MAX", max as f64)?;
                if !exponent.is_finite() || exponent <= 0.0 {
                    return Err(format!("EXPONENT must be a finite number > 0, got {exponent}"));
                }
                Ok(())
            }
        }
    }

    /// Mean length in tokens. Exact for `Fixed`, `Uniform` and `Zipf` (whose samples are never
    /// clamped); for `Normal` and `Lognormal` it is the distribution's own mean, before rounding
    /// and clamping to `[1, MAX_TOKENS]` (the same unless the distribution has real mass below
    /// 1 token, e.g. `normal:10:100`).
    pub fn mean(&self) -> f64 {
        match *self {
            LengthDist::Fixed(n) => n as f64,
            LengthDist::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
            LengthDist::Normal { mean, .. } | LengthDist::Lognormal { mean, .. } => mean,
            LengthDist::Zipf { max, exponent } => {
                let z = harmonic(max, exponent);
                if z > 0.0 {
                    harmonic(max, exponent - 1.0) / z
                } else {
                    1.0
                }
            }
        }
    }

    /// The precomputed sampler (call after [`validate`](Self::validate)).
    pub(crate) fn sampler(&self) -> Result<Sampler> {
        let bad = |e: &dyn fmt::Display| Error::usage("length distribution", format!("{e} (in \"{self}\")"));
        Ok(match *self {
            LengthDist::Fixed(n) => Sampler::Fixed(n.clamp(1, MAX_TOKENS)),
            LengthDist::Uniform { min, max } => {
                Sampler::Uniform(Uniform::new_inclusive(min, max).map_err(|e| bad(&e))?)
            }
            LengthDist::Normal { mean, std } => {
                Sampler::Real(RealDist::Normal(Normal::new(mean, std).map_err(|e| bad(&e))?))
            }
            LengthDist::Lognormal { mean, std } => {
                // lengths with mean m and std s: σ² = ln(1 + s²/m²), μ = ln m − σ²/2
                let sigma2 = (1.0 + (std / mean).powi(2)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                Sampler::Real(RealDist::LogNormal(
                    LogNormal::new(mu, sigma2.sqrt()).map_err(|e| bad(&e))?,
                ))
            }
            LengthDist::Zipf { max, exponent } => {
                Sampler::Real(RealDist::Zipf(Zipf::new(max as f64, exponent).map_err(|e| bad(&e))?))
            }
        })
    }
}

/// Σ_{k=1}^{n} k^-p, exact for the first 10,000 terms, Euler–Maclaurin beyond (relative error
/// far below 1e-9 there).
fn harmonic(n: u32, p: f64) -> f64 {
    const EXACT: u32 = 10_000;
    let head: f64 = (1..=n.min(EXACT)).map(|k| (k as f64).powf(-p)).sum();
    if n <= EXACT {
        return head;
    }
    let (a, b) = ((EXACT + 1) as f64, n as f64);
    let f = |x: f64| x.powf(-p);
    let df = |x: f64| -p * x.powf(-p - 1.0);
    let integral = if (p - 1.0).abs() < 1e-12 {
        (b / a).ln()
    } else {
        (b.powf(1.0 - p) - a.powf(1.0 - p)) / (1.0 - p)
    };
    head + integral + (f(a) + f(b)) / 2.0 + (df(b) - df(a)) / 12.0
}

impl fmt::Display for LengthDist {
    /// Writes the [`LengthDist::parse`] syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LengthDist::Fixed(n) => write!(f, "{n}"),
            LengthDist::Uniform { min, max } => write!(f, "uniform:{min}:{max}"),
            LengthDist::Normal { mean, std } => write!(f, "normal:{mean}:{std}"),
            LengthDist::Lognormal { mean, std } => write!(f, "lognormal:{mean}:{std}"),
            LengthDist::Zipf { max, exponent } => write!(f, "zipf:{max}:{exponent}"),
        }
    }
}

/// Where request lengths come from.
#[derive(Debug, Clone, PartialEq)]
pub enum LengthModel {
    /// ISL and OSL drawn independently from these distributions (tokens).
    Dist {
        /// Input-length distribution (`--isl`).
        isl: LengthDist,
        /// Output-length distribution (`--osl`).
        osl: LengthDist,
    },
    /// Lengths from the trace rows, in order (cycling if more requests than rows).
    Trace,
}

impl LengthModel {
    /// Fixed ISL and OSL (tokens).
    pub fn fixed(isl: u32, osl: u32) -> Self {
        LengthModel::Dist {
            isl: LengthDist::Fixed(isl),
            osl: LengthDist::Fixed(osl),
        }
    }
}

/// A precomputed length sampler (no allocation per draw).
#[derive(Debug, Clone)]
pub(crate) enum Sampler {
    Fixed(u32),
    Uniform(Uniform<u32>),
    Real(RealDist),
}

#[derive(Debug, Clone)]
pub(crate) enum RealDist {
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Zipf(Zipf<f64>),
}

impl Sampler {
    /// One length in tokens, in `[1, MAX_TOKENS]`.
    #[inline]
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng) -> u32 {
        match self {
            Sampler::Fixed(n) => *n,
            Sampler::Uniform(u) => u.sample(rng),
            Sampler::Real(d) => {
                let x = match d {
                    RealDist::Normal(n) => n.sample(rng),
                    RealDist::LogNormal(l) => l.sample(rng),
                    RealDist::Zipf(z) => z.sample(rng),
                };
                // NaN maps to 1 (cannot happen with validated parameters)
                let r = x.round();
                if r >= MAX_TOKENS as f64 {
                    MAX_TOKENS
                } else if r >= 1.0 {
                    r as u32
                } else {
                    1
                }
            }
        }
    }
}

/// Convenience: draws `n` lengths (tests and diagnostics).
#[cfg(test)]
pub(crate) fn draw(d: &LengthDist, rng: &mut ChaCha8Rng, n: usize) -> Vec<u32> {
    let s = d.sampler().expect("valid distribution in test");
    (0..n).map(|_| s.sample(rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::rng::{stream, Stream};

    fn p(s: &str) -> LengthDist {
        LengthDist::parse("--isl", s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(flag: &str, s: &str) -> String {
        match LengthDist::parse(flag, s) {
            Ok(d) => panic!("{s} parsed as {d:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn stats(v: &[u32]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, var.sqrt())
    }

    #[test]
    fn parse_syntax() {
        assert_eq!(p("2048"), LengthDist::Fixed(2048));
        assert_eq!(p(" 1 "), LengthDist::Fixed(1));
        assert_eq!(p("fixed:7"), LengthDist::Fixed(7));
        assert_eq!(p("uniform:10:20"), LengthDist::Uniform { min: 10, max: 20 });
        assert_eq!(p("UNIFORM:5:5"), LengthDist::Uniform { min: 5, max: 5 });
        assert_eq!(p("normal:100:10"), LengthDist::Normal { mean: 100.0, std: 10.0 });
        assert_eq!(
            p("lognormal:1000:500.5"),
            LengthDist::Lognormal {
                mean: 1000.0,
                std: 500.5
            }
        );
        assert_eq!(
            p("zipf:4096:1.2"),
            LengthDist::Zipf {
                max: 4096,
                exponent: 1.2
            }
        );
        for s in [
            "2048",
            "uniform:10:20",
            "normal:100:10",
            "lognormal:1000:500.5",
            "zipf:4096:1.2",
        ] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn parse_errors_name_flag_and_expectation() {
        assert_eq!(err("--osl", "0"), "--osl: must be ≥ 1, got 0");
        assert!(err("--osl", "-3").contains("must be ≥ 1, got -3"));
        assert!(err("--isl", "2.5").starts_with("--isl: must be a whole number"));
        assert!(err("--isl", "2000000").contains("≤ 1000000"));
        assert!(err("--isl", "").contains("expected a token count"));
        assert!(err("--isl", "abc").contains("expected a token count"));
        assert!(err("--isl", "NaN").contains("expected a token count"));
        assert!(err("--isl", "gauss:1:2").contains("uniform:MIN:MAX"));
        assert!(err("--isl", "uniform:10").contains("expected uniform:MIN:MAX"));
        assert!(err("--isl", "uniform:1:2:3").contains("expected uniform:MIN:MAX"));
        assert!(err("--isl", "uniform:0:5").contains("MIN must be ≥ 1"));
        assert!(err("--isl", "uniform:9:5").contains("MAX must be ≥ MIN"));
        assert!(err("--isl", "uniform:a:5").contains("expected MIN as a finite number"));
        assert!(err("--isl", "normal:0:5").contains("MEAN must be"));
        assert!(err("--isl", "normal:10:-1").contains("STD must be"));
        assert!(err("--isl", "normal:10:inf").contains("STD as a finite number"));
        assert!(err("--isl", "lognormal:0.5:1").contains("MEAN must be"));
        assert!(err("--isl", "lognormal:100").contains("lognormal:MEAN:STD"));
        assert!(err("--isl", "zipf:100:0").contains("EXPONENT must be"));
        assert!(err("--isl", "zipf:0:1.1").contains("MAX must be ≥ 1"));
        assert!(err("--isl", "fixed:0").contains("TOKENS must be ≥ 1"));
        assert!(err("--osl", "fixed").contains("expected fixed:TOKENS"));
        for s in ["0", "uniform:0:1", "normal:0:1", "zipf:1:0"] {
            assert!(err("--osl", s).starts_with("--osl: "), "{s}");
        }
        // validate() on values built in code
        assert!(LengthDist::Fixed(0)
            .validate("--osl")
            .unwrap_err()
            .to_string()
            .starts_with("--osl: "));
        assert!(LengthDist::Normal {
            mean: f64::NAN,
            std: 1.0
        }
        .validate("--isl")
        .is_err());
        assert!(LengthDist::Zipf {
            max: 10,
            exponent: f64::INFINITY
        }
        .validate("--isl")
        .is_err());
        assert!(LengthDist::Fixed(1).validate("--osl").is_ok());
    }

    #[test]
    fn samples_stay_in_range() {
        let mut rng = stream(1, Stream::Lengths);
        for s in [
            "1",
            "uniform:3:9",
            "normal:5:50",
            "lognormal:10:200",
            "zipf:50:0.5",
            "normal:999999:1000",
        ] {
            let d = p(s);
            for x in draw(&d, &mut rng, 20_000) {
                assert!((1..=MAX_TOKENS).contains(&x), "{s}: {x}");
                if let LengthDist::Uniform { min, max } = d {
                    assert!((min..=max).contains(&x));
                }
                if let LengthDist::Zipf { max, .. } = d {
                    assert!(x <= max);
                }
            }
        }
        let v = draw(&p("uniform:3:9"), &mut rng, 20_000);
        for k in 3..=9 {
            assert!(v.contains(&k), "uniform must reach {k}");
        }
    }

    #[test]
    fn sample_means_match() {
        let mut rng = stream(3, Stream::Lengths);
        let n = 200_000;
        for s in [
            "2048",
            "uniform:100:300",
            "normal:2048:256",
            "lognormal:1000:600",
            "lognormal:200:50",
            "zipf:1000:1.1",
            "zipf:4096:0.8",
        ] {
            let d = p(s);
            let (m, _) = stats(&draw(&d, &mut rng, n));
            let rel = (m - d.mean()).abs() / d.mean();
            assert!(rel < 0.03, "{s}: sample mean {m} vs mean() {}", d.mean());
        }
        // standard deviations too, where clamping does not matter
        let (_, sd) = stats(&draw(&p("lognormal:1000:600"), &mut rng, n));
        assert!((sd - 600.0).abs() / 600.0 < 0.05, "lognormal std {sd}");
        let (_, sd) = stats(&draw(&p("normal:2048:256"), &mut rng, n));
        assert!((sd - 256.0).abs() / 256.0 < 0.03, "normal std {sd}");
    }

    #[test]
    fn zipf_mean_closed_form() {
        // exponent 1, max 3: (1 + 1 + 1) / (1 + 1/2 + 1/3)
        let d = LengthDist::Zipf { max: 3, exponent: 1.0 };
        assert!((d.mean() - 3.0 / (11.0 / 6.0)).abs() < 1e-12);
        // Euler–Maclaurin tail agrees with the exact sum
        let exact: f64 = (1..=200_000u32).map(|k| (k as f64).powf(-1.3)).sum();
        assert!((harmonic(200_000, 1.3) - exact).abs() / exact < 1e-12);
        let exact: f64 = (1..=200_000u32).map(|k| (k as f64).powf(-0.2)).sum();
        assert!((harmonic(200_000, 0.2) - exact).abs() / exact < 1e-12);
        let exact: f64 = (1..=200_000u32).map(|k| 1.0 / k as f64).sum();
        assert!((harmonic(200_000, 1.0) - exact).abs() / exact < 1e-12);
    }
}
