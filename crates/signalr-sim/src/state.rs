//! The simulator's shared state: live connections and their groups, negotiated tokens, the
//! recorded client invocations, the silence window and the lazily built race. It also fans
//! invocations out to matching connections with per-connection backpressure. No sockets here.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use signalr_proto::core::HubProtocol;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::access::Access;
use super::frame;
use super::race::{positional, Group, Race, SimInvocation};
use super::tokens::Tokens;
use super::SimOptions;

use crate::SimulatorConfig;

/// An out-of-band command for one connection, handled ahead of its queued records.
#[derive(Debug, Clone)]
pub enum Ctl {
    /// Send a Close record, then a normal WebSocket close.
    Close { error: Option<String>, allow_reconnect: bool },
    /// Send this text as one WebSocket text frame, as is.
    Raw(Arc<str>),
    /// Send these bytes as one WebSocket binary frame, as is.
    RawBinary(Arc<[u8]>),
}

/// One broadcast record, serialized once per protocol that a target connection speaks.
#[derive(Debug, Clone)]
pub struct Outgoing {
    json: Arc<str>,
    msgpack: Option<Arc<[u8]>>,
}

impl Outgoing {
    /// A record already serialized: JSON, and MessagePack when a target speaks it.
    pub fn new(json: Arc<str>, msgpack: Option<Arc<[u8]>>) -> Outgoing {
        Outgoing { json, msgpack }
    }

    /// Its length in `protocol`.
    pub fn len(&self, protocol: HubProtocol) -> usize {
        match protocol {
            HubProtocol::Json => self.json.len(),
            HubProtocol::MessagePack => self.msgpack.as_ref().map_or(0, |m| m.len()),
        }
    }

    /// Appends its bytes in `protocol` to a frame being built.
    pub fn append_to(&self, protocol: HubProtocol, frame: &mut Vec<u8>) {
        match protocol {
            HubProtocol::Json => frame.extend_from_slice(self.json.as_bytes()),
            HubProtocol::MessagePack => {
                frame.extend_from_slice(self.msgpack.as_deref().unwrap_or_default())
            }
        }
    }
}

/// One live (handshaken) connection as the rest of the simulator sees it.
#[derive(Debug)]
pub struct ConnHandle {
    /// Serialized records for this connection; bounded, so a slow reader pushes back.
    pub queue: mpsc::Sender<Outgoing>,
    pub ctl: mpsc::Sender<Ctl>,
    /// Cancelled to drop the socket abruptly: no Close record, no WebSocket close frame. A
    /// stateful connection gets a new one with each transport.
    pub kill: Mutex<CancellationToken>,
    /// Cancelled to end the connection for good, with its stateful-reconnect state (as a
    /// server restart would): a resume is then refused.
    pub forget: CancellationToken,
    pub groups: Mutex<HashSet<Group>>,
    /// The hub protocol its handshake chose.
    pub protocol: HubProtocol,
}

impl ConnHandle {
    /// Drops the current transport abruptly.
    pub fn kill_transport(&self) {
        lock(&self.kill).cancel();
    }
}

/// Everything the server, the connections, the ticker and [`super::SimControl`] share.
pub struct Shared {
    pub config: SimulatorConfig,
    pub options: SimOptions,
    pub cancel: CancellationToken,
    pub runtime: tokio::runtime::Handle,
    required_token: Mutex<Option<String>>,
    connections: Mutex<HashMap<u64, Arc<ConnHandle>>>,
    next_id: AtomicU64,
    connection_count: watch::Sender<usize>,
    invocations: Mutex<Vec<(String, String)>>,
    invocation_count: watch::Sender<usize>,
    /// The end of the current silence window; connections watch it to stop and resume.
    silent_until: watch::Sender<Option<Instant>>,
    /// Negotiated tokens, and the stateful connections they resume.
    pub tokens: Tokens,
    /// Transports that resumed a stateful connection.
    pub resumes: AtomicU64,
    race: Mutex<Option<Race>>,
    /// Redirects and OAuth2 tokens.
    pub access: Access,
    /// What `LoadLiveEvents` lists; `None`: the configured event.
    pub live_events: Mutex<Option<Vec<super::events::LiveEvent>>>,
}

/// Locks, ignoring poisoning: every critical section here leaves the data consistent.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(config: SimulatorConfig, options: SimOptions) -> Shared {
        let token = config.required_token.as_ref().map(|s| s.expose().to_string());
        let tokens = Tokens::new(options.negotiate_token_ttl);
        Shared {
            tokens,
            resumes: AtomicU64::new(0),
            config,
            options,
            cancel: CancellationToken::new(),
            runtime: tokio::runtime::Handle::current(),
            required_token: Mutex::new(token),
            connections: Mutex::default(),
            next_id: AtomicU64::new(1),
            connection_count: watch::Sender::new(0),
            invocations: Mutex::default(),
            invocation_count: watch::Sender::new(0),
            silent_until: watch::Sender::new(None),
            race: Mutex::default(),
            access: Access::default(),
            live_events: Mutex::default(),
        }
    }

    pub fn required_token(&self) -> Option<String> {
        lock(&self.required_token).clone()
    }

    pub fn set_required_token(&self, token: Option<String>) {
        *lock(&self.required_token) = token;
    }

    /// Registers a handshaken connection; returns its id for [`Shared::unregister`].
    pub fn register(&self, handle: Arc<ConnHandle>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut conns = lock(&self.connections);
        conns.insert(id, handle);
        self.connection_count.send_replace(conns.len());
        id
    }

    pub fn unregister(&self, id: u64) {
        let mut conns = lock(&self.connections);
        conns.remove(&id);
        self.connection_count.send_replace(conns.len());
    }

    /// Open connections by hub protocol: (JSON, MessagePack).
    pub fn protocol_counts(&self) -> (usize, usize) {
        let conns = lock(&self.connections);
        let mp = conns.values().filter(|c| c.protocol == HubProtocol::MessagePack).count();
        (conns.len() - mp, mp)
    }

    pub fn connection_count(&self) -> usize {
        *self.connection_count.borrow()
    }

    pub fn watch_connection_count(&self) -> watch::Receiver<usize> {
        self.connection_count.subscribe()
    }

    /// Drops every live connection abruptly.
    pub fn drop_all(&self) {
        for conn in lock(&self.connections).values() {
            conn.kill_transport();
        }
    }

    /// Drops every connection and forgets it: stateful ones cannot be resumed.
    pub fn forget_all(&self) {
        for conn in lock(&self.connections).values() {
            conn.forget.cancel();
            conn.kill_transport();
        }
    }

    /// Sends a control command to every live connection.
    pub fn send_ctl(&self, ctl: Ctl) {
        for conn in lock(&self.connections).values() {
            // A full control queue means the connection is already busy dying or flooded with
            // commands; dropping one more test command there is harmless.
            let _ = conn.ctl.try_send(ctl.clone());
        }
    }

    pub fn record_invocation(&self, target: &str, arguments: String) {
        let mut log = lock(&self.invocations);
        log.push((target.to_string(), arguments));
        self.invocation_count.send_replace(log.len());
    }

    pub fn invocations(&self) -> Vec<(String, String)> {
        lock(&self.invocations).clone()
    }

    pub fn watch_invocation_count(&self) -> watch::Receiver<usize> {
        self.invocation_count.subscribe()
    }

    /// Starts (or, with a past instant, ends) a silence window.
    pub fn go_silent(&self, until: Instant) {
        self.silent_until.send_replace(Some(until));
    }

    /// The end of the current silence window, if one is running.
    pub fn silent_until(&self) -> Option<Instant> {
        (*self.silent_until.borrow()).filter(|until| *until > Instant::now())
    }

    pub fn watch_silence(&self) -> watch::Receiver<Option<Instant>> {
        self.silent_until.subscribe()
    }

    /// Runs `f` on the race, building it on first use (tests with rate 0 never need one).
    pub fn with_race<R>(&self, f: impl FnOnce(&mut Race) -> R) -> R {
        let mut guard = lock(&self.race);
        let race = guard.get_or_insert_with(|| {
            Race::new(self.config.event_id, self.config.cars, self.options.seed)
        });
        f(race)
    }

    /// Restarts the race and broadcasts what that yields, in the background.
    pub fn spawn_reset(self: &Arc<Self>) {
        let shared = self.clone();
        self.runtime.spawn(async move {
            let invocations = shared.with_race(|race| race.reset());
            for invocation in &invocations {
                shared.broadcast(invocation).await;
            }
        });
    }

    /// Queues `invocation` for every connection in its group. Waits while a queue is full (the
    /// backpressure a slow reader exerts) and drops a connection that stays full for
    /// `slow_client_timeout`. While silent, nothing is queued.
    pub async fn broadcast(&self, invocation: &SimInvocation) {
        if self.silent_until().is_some() {
            return;
        }
        let targets = self.members(&invocation.group);
        let json = frame::invocation_record(invocation.target, &invocation.arguments).into();
        // Positional arrays, as RedMist's MessagePack resolver writes its models.
        let msgpack = targets
            .iter()
            .any(|c| c.protocol == HubProtocol::MessagePack)
            .then(|| positional::arguments(invocation.target, &invocation.arguments))
            .flatten()
            .map(|args| frame::msgpack::invocation_record(invocation.target, &args).into());
        self.send_to(&targets, Outgoing { json, msgpack }, invocation.target).await;
    }

    /// The connections in `group` now.
    pub fn members(&self, group: &Group) -> Vec<Arc<ConnHandle>> {
        lock(&self.connections)
            .values()
            .filter(|c| lock(&c.groups).contains(group))
            .cloned()
            .collect()
    }

    /// Queues `record` for each of `targets`, waiting while a queue is full and dropping a
    /// connection that stays full for `slow_client_timeout`.
    pub async fn send_to(&self, targets: &[Arc<ConnHandle>], record: Outgoing, target: &str) {
        for conn in targets {
            let send = conn.queue.send(record.clone());
            if tokio::time::timeout(self.options.slow_client_timeout, send).await.is_err() {
                tracing::warn!(target, "Simulator dropped a client that stopped reading.");
                conn.kill_transport();
            }
        }
    }
}
