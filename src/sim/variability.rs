//! Service-time variability: what real runs have and a deterministic simulation lacks.
//!
//! A closed loop of identical requests on a deterministic simulator stays in lock-step: every
//! TTFT is the same number (a step-shaped distribution), and in aggregated serving the requests
//! settle into trains whose prefills share iterations. Real runs are not deterministic. Two
//! seeded, documented sources model that, both multiplicative and mean-preserving log-normals
//! (`exp(σ·z − σ²/2)`, `σ² = ln(1 + cv²)`, z standard normal), so they widen distributions
//! without shifting means:
//!
//! * **step jitter** (`step_cv`): every engine iteration's duration (before
//!   `iteration_overhead_ms`) is multiplied by an independent draw — kernel timing, CPU
//!   scheduling, clock and interference noise;
//! * **request-latency jitter** (`latency_cv`): each request's latency off the engines
//!   (frontend + the profile's per-request latency) is multiplied by a draw — tokenisation,
//!   routing, network.
//!
//! Defaults, from the real runs the project ships (the Dynamo comparison's aic_all AIPerf
//! exports, `calibration/runs/`): at concurrency 1, with no queueing, the TTFT spread is
//! `ln(p90/p50)/1.2816 = ln(1184.8/1119.6)/1.2816 = 0.044` → `latency_cv = 0.045`; the
//! per-request ITL spread `ln(14.39/14.29)/1.2816 = 0.0055` over 255 steps of independent
//! jitter is a per-step `0.0055·√255 = 0.088` → `step_cv = 0.09`. Random streams: sub-stream
//! 0 of the `Noise` stream for request latencies, sub-stream `1 + engine index` for each
//! engine's steps (so adding an engine does not shift the others). `--variability off` turns
//! both off: the exact closed-form checks run that way.

use crate::error::{Error, Result};
use crate::workload::{sub_stream, Stream};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Size of the two variability sources (coefficients of variation; 0 = off).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Variability {
    /// CV of each iteration's duration.
    pub step_cv: f64,
    /// CV of each request's latency off the engines.
    pub latency_cv: f64,
}

impl Default for Variability {
    /// The defaults supported by the shipped real runs (see the module docs).
    fn default() -> Self {
        Variability {
            step_cv: 0.09,
            latency_cv: 0.045,
        }
    }
}

impl Variability {
    /// No variability: deterministic service times.
    pub const OFF: Variability = Variability {
        step_cv: 0.0,
        latency_cv: 0.0,
    };

    /// Parses `default`, `off`, or `STEP_CV,LATENCY_CV` (each in [0, 2]); `flag` names the flag.
    pub fn parse(flag: &str, s: &str) -> Result<Self> {
        match s.trim() {
            "default" | "on" => Ok(Variability::default()),
            "off" | "none" | "0" => Ok(Variability::OFF),
            other => {
                let parts: Vec<&str> = other.split(',').map(str::trim).collect();
                let bad = || {
                    Error::usage(
                        flag,
                        format!("`{other}`: expected default, off, or STEP_CV,LATENCY_CV (two numbers in [0, 2])"),
                    )
                };
                if parts.len() != 2 {
                    return Err(bad());
                }
                let v: Vec<f64> = parts
                    .iter()
                    .map(|p| p.parse::<f64>())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| bad())?;
                if v.iter().any(|x| !(x.is_finite() && (0.0..=2.0).contains(x))) {
                    return Err(bad());
                }
                Ok(Variability {
                    step_cv: v[0],
                    latency_cv: v[1],
                })
            }
        }
    }

    /// True when both sources are off.
    pub fn is_off(&self) -> bool {
        self.step_cv == 0.0 && self.latency_cv == 0.0
    }
}

impl std::fmt::Display for Variability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_off() {
            f.write_str("off")
        } else {
            write!(f, "step cv {}, latency cv {}", self.step_cv, self.latency_cv)
        }
    }
}

/// A seeded stream of mean-1 log-normal factors (all 1 when the CV is 0).
#[derive(Debug, Clone)]
pub struct Jitter {
    rng: Option<ChaCha8Rng>,
    sigma: f64,
    mu: f64,
}

impl Jitter {
    /// Factors with coefficient of variation `cv` from sub-stream `index` of the run's `Noise`
    /// stream.
    pub fn new(cv: f64, seed: u64, index: u64) -> Self {
        if cv <= 0.0 || !cv.is_finite() {
            return Jitter {
                rng: None,
                sigma: 0.0,
                mu: 0.0,
            };
        }
        let sigma = (1.0 + cv * cv).ln().sqrt();
        Jitter {
            rng: Some(sub_stream(seed, Stream::Noise, index)),
            sigma,
            mu: -0.5 * sigma * sigma,
        }
    }

    /// The next factor (1 when off).
    #[inline]
    pub fn factor(&mut self) -> f64 {
        match &mut self.rng {
            None => 1.0,
            Some(r) => {
                let z: f64 = r.sample(StandardNormal);
                (self.mu + self.sigma * z).exp()
            }
        }
    }
}

/// Per-engine step jitter.
pub type StepJitter = Jitter;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_have_mean_one_and_the_requested_cv() {
        let mut j = Jitter::new(0.1, 7, 3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| j.factor()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.002, "{mean}");
        assert!((var.sqrt() - 0.1).abs() < 0.002, "{}", var.sqrt());
        let mut off = Jitter::new(0.0, 7, 3);
        assert_eq!(off.factor(), 1.0);
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Variability::parse("--variability", "off").unwrap(), Variability::OFF);
        assert_eq!(
            Variability::parse("--variability", "0.1,0.2").unwrap(),
            Variability {
                step_cv: 0.1,
                latency_cv: 0.2
            }
        );
        for bad in ["x", "0.1", "-1,0", "3,0", "nan,0"] {
            let e = Variability::parse("--variability", bad).unwrap_err().to_string();
            assert!(e.contains("--variability"), "{e}");
        }
    }
}
