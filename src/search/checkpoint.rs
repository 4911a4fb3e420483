//! Evaluating configurations in parallel while checkpointing their results on wall time.
//!
//! A sweep shard may be preempted at any moment, so what it has finished must reach disk every
//! [`CHECKPOINT_EVERY`] (2 s) however many configurations that is: one slow configuration or a
//! thousand fast ones. [`run_checkpointed`] runs the work on the rayon pool and hands each result
//! to the calling thread as soon as it is done; that thread writes a checkpoint once the interval
//! has passed since the last one and new results have arrived. The final write at the end of the
//! run is the caller's (it differs between sharded and unsharded sweeps).
//!
//! Time comes from a [`Clock`], so tests can drive the schedule without depending on how fast
//! the machine is.

use crate::error::Result;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Wall time between checkpoint writes of a sweep: 2 s.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// A monotonic source of elapsed time.
pub trait Clock: Sync {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The real monotonic clock ([`Instant`]).
#[derive(Debug, Clone, Copy)]
pub struct WallClock(Instant);

impl WallClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        WallClock(Instant::now())
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for WallClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Evaluates `work` on every item in parallel (rayon), in no particular order.
///
/// Each result is folded into `state` by `on_result` on the calling thread as soon as it is
/// done. Whenever at least `every` has passed on `clock` since the start or the last checkpoint
/// and results have arrived since, `checkpoint(state)` is called on the calling thread, so a run
/// killed at any moment loses at most `every` of finished work (plus what was in flight). No
/// checkpoint is written at the end: the caller writes its final file.
///
/// An error from `checkpoint` skips the items not started yet, waits for those in flight, and is
/// returned.
pub fn run_checkpointed<T, R, S>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    state: &mut S,
    mut on_result: impl FnMut(&mut S, R),
    mut checkpoint: impl FnMut(&S) -> Result<()>,
    every: Duration,
    clock: &dyn Clock,
) -> Result<()>
where
    T: Sync,
    R: Send,
{
    let (tx, rx) = mpsc::channel::<R>();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (work, stop) = (&work, &stop);
        scope.spawn(move || {
            items.par_iter().for_each_with(tx, |tx, item| {
                if !stop.load(Ordering::Relaxed) {
                    // the receiver only goes away after an error, when results are not wanted
                    let _ = tx.send(work(item));
                }
            });
        });
        let mut last = clock.now();
        let mut dirty = false;
        loop {
            let next = if dirty {
                // something to save: wait for more only until the checkpoint is due
                let waited = clock.now().saturating_sub(last);
                rx.recv_timeout(every.saturating_sub(waited))
            } else {
                // nothing new to save: wait for the next result (or the end)
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            match next {
                Ok(r) => {
                    on_result(state, r);
                    dirty = true;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if dirty && clock.now().saturating_sub(last) >= every {
                if let Err(e) = checkpoint(state) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                last = clock.now();
                dirty = false;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::sync::atomic::AtomicU64;

    /// A clock that moves forward by `step_ms` every time it is read.
    struct SteppingClock {
        now_ms: AtomicU64,
        step_ms: u64,
    }

    impl Clock for SteppingClock {
        fn now(&self) -> Duration {
            Duration::from_millis(self.now_ms.fetch_add(self.step_ms, Ordering::Relaxed))
        }
    }

    fn clock(step_ms: u64) -> SteppingClock {
        SteppingClock {
            now_ms: AtomicU64::new(0),
            step_ms,
        }
    }

    /// Runs `n` items (each the identity) and returns the result counts seen by each checkpoint.
    fn checkpoints(n: usize, every: Duration, c: &dyn Clock) -> (Vec<usize>, Vec<usize>) {
        let items: Vec<usize> = (0..n).collect();
        let mut done = Vec::new();
        let mut seen = Vec::new();
        run_checkpointed(
            &items,
            |i| *i,
            &mut done,
            |d, r| d.push(r),
            |d| {
                seen.push(d.len());
                Ok(())
            },
            every,
            c,
        )
        .unwrap();
        done.sort_unstable();
        (done, seen)
    }

    #[test]
    fn checkpoints_follow_the_clock_not_a_count_of_results() {
        // 3 s pass between readings of the clock: a checkpoint is due after every result, the
        // first one after the first result (not after a batch of 32)
        let (done, seen) = checkpoints(40, Duration::from_secs(2), &clock(3000));
        assert_eq!(done, (0..40).collect::<Vec<_>>());
        assert_eq!(seen, (1..=40).collect::<Vec<_>>());
        // the clock stands still: 40 results, no checkpoint (the caller writes the final file)
        let (done, seen) = checkpoints(40, Duration::from_secs(2), &clock(0));
        assert_eq!(done.len(), 40);
        assert!(seen.is_empty(), "{seen:?}");
        // 1 s per reading with a 2 s interval: never two checkpoints without a result between
        // them, and never more than one per two readings
        let (_, seen) = checkpoints(40, Duration::from_secs(2), &clock(1000));
        assert!(!seen.is_empty() && seen.len() <= 40, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    }

    #[test]
    fn the_real_clock_checkpoints_a_slow_run_before_it_ends() {
        // 20 items of 30 ms on at most 2 threads take ≥ 300 ms; a 50 ms interval must checkpoint
        // while they run, with part of the results
        let items: Vec<u64> = (0..20).collect();
        let mut done = 0usize;
        let mut seen = Vec::new();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        pool.install(|| {
            run_checkpointed(
                &items,
                |_| std::thread::sleep(Duration::from_millis(30)),
                &mut done,
                |d, ()| *d += 1,
                |d| {
                    seen.push(*d);
                    Ok(())
                },
                Duration::from_millis(50),
                &WallClock::new(),
            )
        })
        .unwrap();
        assert_eq!(done, 20);
        assert!(seen.first().is_some_and(|n| *n < 20), "{seen:?}");
    }

    #[test]
    fn a_failed_checkpoint_stops_the_run() {
        let items: Vec<u64> = (0..400).collect();
        let started = AtomicU64::new(0);
        let mut done = 0usize;
        let e = run_checkpointed(
            &items,
            |_| {
                started.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            },
            &mut done,
            |d, ()| *d += 1,
            |_| Err(Error::usage("--json", "disk full")),
            Duration::from_secs(2),
            &clock(3000),
        )
        .unwrap_err();
        assert!(e.to_string().contains("disk full"), "{e}");
        assert!(
            started.load(Ordering::Relaxed) < 400,
            "the remaining items were skipped"
        );
    }
}
