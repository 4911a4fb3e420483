//! Routing requests across workers/replicas.

use serde::{Deserialize, Serialize};

/// Router policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RouterPolicy {
    /// Cycle through workers in order.
    RoundRobin,
    /// Worker with the fewest outstanding requests (ties: lowest index).
    LeastLoaded,
    /// Worker with the lowest KV-cache usage (ties: fewest outstanding, then lowest index).
    LeastKv,
    /// NVIDIA Dynamo's KV-aware router: lowest `kv_overlap_weight × new prefill blocks + active
    /// KV blocks` (new prefill blocks = the prompt's blocks minus those the worker has cached),
    /// optionally sampled by a softmax with `router_temperature` (see [`kv_pick`]).
    Kv,
}

impl std::fmt::Display for RouterPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RouterPolicy::RoundRobin => "round-robin",
            RouterPolicy::LeastLoaded => "least-loaded",
            RouterPolicy::LeastKv => "least-kv",
            RouterPolicy::Kv => "kv",
        })
    }
}

/// Router state for one pool of workers.
#[derive(Debug, Clone)]
pub struct Router {
    policy: RouterPolicy,
    next: usize,
}

/// What the router can see of a worker.
#[derive(Debug, Clone, Copy)]
pub struct WorkerLoad {
    /// Requests assigned and not yet finished (or handed off).
    pub outstanding: u64,
    /// KV blocks in use / capacity.
    pub kv_usage: f64,
}

impl Router {
    /// A router with `policy`.
    pub fn new(policy: RouterPolicy) -> Self {
        Router { policy, next: 0 }
    }

    /// Picks a worker among `n`, given a view of each one's load.
    #[inline]
    pub fn pick(&mut self, n: usize, load: impl Fn(usize) -> WorkerLoad) -> usize {
        if n <= 1 {
            return 0;
        }
        match self.policy {
            RouterPolicy::RoundRobin => {
                let i = self.next % n;
                self.next = (self.next + 1) % n;
                i
            }
            RouterPolicy::LeastLoaded => (0..n).min_by_key(|&i| (load(i).outstanding, i)).unwrap_or(0),
            // the simulator computes the KV router's costs itself (kv_pick); without them it
            // degrades to the active-block term alone, which least-kv orders the same way
            RouterPolicy::LeastKv | RouterPolicy::Kv => {
                let mut best = 0;
                let mut bl = load(0);
                for i in 1..n {
                    let l = load(i);
                    if l.kv_usage < bl.kv_usage || (l.kv_usage == bl.kv_usage && l.outstanding < bl.outstanding) {
                        best = i;
                        bl = l;
                    }
                }
                best
            }
        }
    }
}

/// Dynamo's KV-aware choice among workers with these `costs` (`kv_overlap_weight × new
/// prefill blocks + active blocks`): with `temperature` 0 the lowest cost (ties: lowest index);
/// else a draw from `softmax(−c̃ / temperature)` over the costs normalised to [0, 1]
/// (`c̃ = (c − min) / (max − min)`, all equal when max = min), as Dynamo's router samples.
pub fn kv_pick(costs: &[f64], temperature: f64, rng: &mut impl rand::Rng) -> usize {
    let mut best = 0;
    for (i, &c) in costs.iter().enumerate() {
        if c < costs[best] {
            best = i;
        }
    }
    if temperature <= 0.0 || costs.len() <= 1 {
        return best;
    }
    let (lo, hi) = (costs[best], costs.iter().copied().fold(f64::MIN, f64::max));
    let span = hi - lo;
    let weights: Vec<f64> = costs
        .iter()
        .map(|&c| {
            let n = if span > 0.0 { (c - lo) / span } else { 0.0 };
            (-n / temperature).exp()
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_pick_as_documented() {
        let loads = [
            WorkerLoad {
                outstanding: 3,
                kv_usage: 0.1,
            },
            WorkerLoad {
                outstanding: 1,
                kv_usage: 0.5,
            },
        ];
        let mut rr = Router::new(RouterPolicy::RoundRobin);
        assert_eq!(
            [
                rr.pick(2, |i| loads[i]),
                rr.pick(2, |i| loads[i]),
                rr.pick(2, |i| loads[i])
            ],
            [0, 1, 0]
        );
        assert_eq!(Router::new(RouterPolicy::LeastLoaded).pick(2, |i| loads[i]), 1);
        assert_eq!(Router::new(RouterPolicy::LeastKv).pick(2, |i| loads[i]), 0);
    }

    #[test]
    fn kv_pick_takes_the_lowest_cost_or_samples_by_softmax() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert_eq!(kv_pick(&[5.0, 2.0, 2.0, 9.0], 0.0, &mut rng), 1, "ties: lowest index");
        let mut counts = [0usize; 3];
        for _ in 0..3000 {
            counts[kv_pick(&[0.0, 1.0, 1.0], 1.0, &mut rng)] += 1;
        }
        // weights 1, e^-1, e^-1: p0 = 1 / (1 + 2/e) ≈ 0.576
        let p0 = counts[0] as f64 / 3000.0;
        assert!((p0 - 0.576).abs() < 0.03, "{counts:?}");
    }
}
