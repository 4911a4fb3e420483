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
}

impl std::fmt::Display for RouterPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RouterPolicy::RoundRobin => "round-robin",
            RouterPolicy::LeastLoaded => "least-loaded",
            RouterPolicy::LeastKv => "least-kv",
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
            RouterPolicy::LeastKv => {
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
}
