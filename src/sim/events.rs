//! The event queue: a min-heap keyed by (time, sequence number).
//!
//! Simulated time is integer nanoseconds, so ordering has no floating-point traps. Events at
//! the same instant are delivered in the order they were scheduled (the sequence number breaks
//! ties), which makes every run reproducible.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Something that happens at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// A request arrives at the router (payload: the request's slab slot).
    Arrival(u32),
    /// An engine finishes its current iteration.
    IterationEnd(u32),
    /// A request's KV cache has arrived at its decode worker (disaggregated serving).
    TransferDone(u32),
    /// A prefill worker's hand-off time after an iteration is over; it may start the next one.
    HandoffDone(u32),
}

/// Time-ordered event queue.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<(u64, u64, Event)>>,
    seq: u64,
}

impl EventQueue {
    /// Schedules `ev` at `time_ns`.
    #[inline]
    pub fn push(&mut self, time_ns: u64, ev: Event) {
        self.seq += 1;
        self.heap.push(Reverse((time_ns, self.seq, ev)));
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, Event)> {
        self.heap.pop().map(|Reverse((t, _, e))| (t, e))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Total events ever scheduled.
    pub fn scheduled(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.push(5, Event::IterationEnd(1));
        q.push(3, Event::Arrival(7));
        q.push(5, Event::Arrival(2));
        assert_eq!(q.pop(), Some((3, Event::Arrival(7))));
        assert_eq!(q.pop(), Some((5, Event::IterationEnd(1))));
        assert_eq!(q.pop(), Some((5, Event::Arrival(2))));
        assert_eq!(q.pop(), None);
    }
}
