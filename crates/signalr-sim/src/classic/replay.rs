//! The per-connection replay buffer: the last N messages sent to one connection, numbered, so
//! a `/reconnect` with a cursor gets everything after it. Pure; the bound is the real server's
//! `DefaultMessageBufferSize` (1000) unless configured otherwise.

use std::collections::VecDeque;
use std::sync::Arc;

/// Numbered messages, oldest first; the oldest are dropped past `capacity`.
#[derive(Debug)]
pub struct ReplayBuffer {
    items: VecDeque<(u64, Arc<str>)>,
    capacity: usize,
    last: u64,
}

impl ReplayBuffer {
    pub fn new(capacity: usize) -> ReplayBuffer {
        ReplayBuffer { items: VecDeque::new(), capacity: capacity.max(1), last: 0 }
    }

    /// Appends one message and returns its number (the first is 1).
    pub fn push(&mut self, item: Arc<str>) -> u64 {
        self.last += 1;
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back((self.last, item));
        self.last
    }

    /// The number of the newest message (0 before any).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Every kept message numbered above `after`. A cursor older than the oldest kept one gets
    /// what is left (the rest is lost, as on the real server); one from the future gets nothing.
    pub fn after(&self, after: u64) -> Vec<Arc<str>> {
        self.items.iter().filter(|(n, _)| *n > after).map(|(_, item)| item.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: u64) -> Arc<str> {
        format!("{{\"n\":{n}}}").into()
    }

    #[test]
    fn after_returns_messages_past_the_cursor_in_order() {
        let mut buffer = ReplayBuffer::new(10);
        for n in 1..=4 {
            assert_eq!(buffer.push(item(n)), n);
        }
        assert_eq!(buffer.after(2), vec![item(3), item(4)]);
        assert!(buffer.after(4).is_empty());
        assert!(buffer.after(99).is_empty());
        assert_eq!(buffer.after(0).len(), 4);
    }

    #[test]
    fn push_past_capacity_drops_the_oldest() {
        let mut buffer = ReplayBuffer::new(3);
        for n in 1..=5 {
            buffer.push(item(n));
        }
        assert_eq!(buffer.last(), 5);
        assert_eq!(buffer.after(0), vec![item(3), item(4), item(5)]);
        assert_eq!(buffer.after(1), vec![item(3), item(4), item(5)]);
    }
}
