//! One classic SignalR connection as the server remembers it between transports: its user,
//! declared hubs, groups, replay buffer and the transport (socket task) currently attached.
//! Survives drops, so `/reconnect` can resume it; the reaper forgets it after DisconnectTimeout.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::replay::ReplayBuffer;
use super::wire::{self, Cursor};
use crate::state::lock;

/// What a transport task is told to send.
#[derive(Debug, Clone)]
pub enum Out {
    /// One text frame, as is.
    Frame(Arc<str>),
    /// `{"C":…,"T":1,"M":[]}` then a normal close.
    Shutdown,
}

/// Frames a stalled socket may fall behind by before it is dropped (the client then reconnects
/// and the replay buffer fills the gap).
const TRANSPORT_QUEUE: usize = 2048;

#[derive(Debug)]
struct Transport {
    generation: u64,
    tx: mpsc::Sender<Out>,
    kill: CancellationToken,
}

#[derive(Debug)]
struct Inner {
    groups: BTreeSet<String>,
    groups_version: u64,
    buffer: ReplayBuffer,
    started: bool,
    transport: Option<Transport>,
    /// When the last transport went away (or negotiate, before the first).
    lost_at: Instant,
}

/// What an attaching transport gets: its queue, its kill switch and the frames to send first.
pub struct Attached {
    pub rx: mpsc::Receiver<Out>,
    pub kill: CancellationToken,
    pub first: Vec<String>,
}

#[derive(Debug)]
pub struct Session {
    pub id: String,
    /// The declared hub names (canonical spelling), from negotiate's `connectionData`.
    pub hubs: Vec<&'static str>,
    prefix: String,
    inner: Mutex<Inner>,
}

impl Session {
    pub fn new(id: String, hubs: Vec<&'static str>, prefix: String, replay: usize) -> Session {
        let inner = Inner {
            groups: BTreeSet::new(),
            groups_version: 0,
            buffer: ReplayBuffer::new(replay),
            started: false,
            transport: None,
            lost_at: Instant::now(),
        };
        Session { id, hubs, prefix, inner: Mutex::new(inner) }
    }

    fn cursor(&self, inner: &Inner) -> Cursor {
        Cursor {
            prefix: self.prefix.clone(),
            messages: inner.buffer.last(),
            groups: inner.groups_version,
        }
    }

    /// Attaches a new transport, dropping any previous one. `resume` is `None` for `/connect`
    /// (init frame) and `Some((messageId, groupsToken))` for `/reconnect` (replay, no init).
    pub fn attach(
        &self,
        generation: u64,
        resume: Option<(Option<&str>, Option<&str>)>,
    ) -> Attached {
        let (tx, rx) = mpsc::channel(TRANSPORT_QUEUE);
        let kill = CancellationToken::new();
        let mut inner = lock(&self.inner);
        if let Some(old) = inner.transport.take() {
            old.kill.cancel();
        }
        let first = match resume {
            None => vec![wire::init_frame(&self.cursor(&inner))],
            Some((message_id, groups_token)) => self.resume(&mut inner, message_id, groups_token),
        };
        inner.transport = Some(Transport { generation, tx, kill: kill.clone() });
        Attached { rx, kill, first }
    }

    /// Restores groups from the token and replays what the cursor has not seen.
    fn resume(
        &self,
        inner: &mut Inner,
        message_id: Option<&str>,
        token: Option<&str>,
    ) -> Vec<String> {
        if let Some(token) = token {
            // An invalid token restores nothing, like a signature failure on the real server.
            let groups = wire::decode_groups_token(&self.id, token).unwrap_or_default();
            inner.groups = groups.into_iter().collect();
        }
        let cursor = message_id.and_then(Cursor::parse).filter(|c| c.prefix == self.prefix);
        let missed = match cursor {
            Some(cursor) => inner.buffer.after(cursor.messages),
            None => Vec::new(),
        };
        if missed.is_empty() {
            return Vec::new();
        }
        vec![wire::envelope(&self.cursor(inner), &missed)]
    }

    /// The transport `generation` ended; true if it was still the attached one.
    pub fn detach(&self, generation: u64) -> bool {
        let mut inner = lock(&self.inner);
        if inner.transport.as_ref().is_some_and(|t| t.generation == generation) {
            inner.transport = None;
            inner.lost_at = Instant::now();
            return true;
        }
        false
    }

    pub fn is_live(&self) -> bool {
        lock(&self.inner).transport.is_some()
    }

    /// No transport for longer than `timeout`: the server would have run OnDisconnected.
    pub fn expired(&self, timeout: std::time::Duration) -> bool {
        let inner = lock(&self.inner);
        inner.transport.is_none() && inner.lost_at.elapsed() > timeout
    }

    /// Drops the attached transport abruptly.
    pub fn kill_transport(&self) {
        if let Some(t) = &lock(&self.inner).transport {
            t.kill.cancel();
        }
    }

    /// Marks `/start` done; false when no transport is attached yet.
    pub fn start(&self) -> bool {
        let mut inner = lock(&self.inner);
        inner.started = inner.transport.is_some() || inner.started;
        inner.transport.is_some()
    }

    /// The live transport's queue when this connection listens to anything (a benchmark feed
    /// writes there directly and waits for room, where [`Session::publish`] would drop it).
    pub fn feed_sender(&self) -> Option<mpsc::Sender<Out>> {
        let inner = lock(&self.inner);
        let listening = inner.started && !inner.groups.is_empty();
        inner.transport.as_ref().filter(|_| listening).map(|t| t.tx.clone())
    }

    pub fn in_group(&self, group: &str) -> bool {
        lock(&self.inner).groups.contains(group)
    }

    /// Adds a group; returns the `G` frame to send when that changed the set.
    pub fn join(&self, group: String) -> Option<String> {
        let mut inner = lock(&self.inner);
        if !inner.groups.insert(group) {
            return None;
        }
        inner.groups_version += 1;
        let groups: Vec<String> = inner.groups.iter().cloned().collect();
        let token = wire::encode_groups_token(&self.id, &groups);
        Some(wire::groups_frame(&self.cursor(&inner), &token))
    }

    /// Buffers `items` for replay and queues them as one envelope on the live transport.
    pub fn publish(&self, items: &[Arc<str>]) {
        let mut inner = lock(&self.inner);
        for item in items {
            inner.buffer.push(item.clone());
        }
        let frame: Arc<str> = wire::envelope(&self.cursor(&inner), items).into();
        Self::queue(&inner, Out::Frame(frame));
    }

    /// Queues a control frame on the live transport, if any.
    pub fn send(&self, out: Out) {
        Self::queue(&lock(&self.inner), out);
    }

    fn queue(inner: &Inner, out: Out) {
        if let Some(t) = &inner.transport {
            if t.tx.try_send(out).is_err() {
                // Too far behind: drop it; the client's reconnect replays from the buffer.
                t.kill.cancel();
            }
        }
    }

    /// The cursor as of now, for frames written outside `publish`.
    pub fn current_cursor(&self) -> Cursor {
        self.cursor(&lock(&self.inner))
    }
}
