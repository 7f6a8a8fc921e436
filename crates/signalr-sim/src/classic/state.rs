//! The classic simulator's shared state: sessions by connection id, the HPC model, the client
//! invocation log, the silence window and the live-transport count. Routes model events to the
//! sessions whose groups want them. No sockets here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::hpc::{HpcEvent, HpcModel};
use super::session::{Out, Session};
use super::wire;
use super::{ClassicSimulatorConfig, JOB_HUB, TASK_HUB};
use crate::state::lock;

/// One client-to-server hub invocation: (hub, method, arguments as a JSON array).
pub type Invocation = (String, String, String);

/// Why a request's `connectionToken` is refused, with the real server's status and text.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Garbled,
    WrongUser,
    /// The connection was forgotten (OnDisconnected ran, or abort).
    Unknown,
}

/// The group a `BeginListen(job)` on `hub` joins.
pub fn group(hub: &str, job: u32) -> String {
    format!("hg-{hub}.{job}")
}

pub struct Shared {
    pub config: ClassicSimulatorConfig,
    pub cancel: CancellationToken,
    /// This server instance's cursor prefix.
    pub prefix: String,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    model: Mutex<HpcModel>,
    generation: AtomicU64,
    live: watch::Sender<usize>,
    invocations: Mutex<Vec<Invocation>>,
    invocation_count: watch::Sender<usize>,
    silent_until: watch::Sender<Option<Instant>>,
}

impl Shared {
    pub fn new(config: ClassicSimulatorConfig) -> Shared {
        let model = HpcModel::new(config.seed, &config.user);
        Shared {
            prefix: format!("{:08X}", rand::random::<u32>()),
            config,
            cancel: CancellationToken::new(),
            sessions: Mutex::default(),
            model: Mutex::new(model),
            generation: AtomicU64::new(1),
            live: watch::Sender::new(0),
            invocations: Mutex::default(),
            invocation_count: watch::Sender::new(0),
            silent_until: watch::Sender::new(None),
        }
    }

    /// Creates a session for `user`; returns its connection id and token. The token embeds
    /// `connectionId:user` like the real (data-protected) one, so it is bound to the user.
    pub fn negotiate(&self, user: &str, hubs: Vec<&'static str>) -> (String, String) {
        let id = uuid::Uuid::new_v4().to_string();
        let token = URL_SAFE_NO_PAD.encode(format!("{id}:{user}"));
        let session =
            Session::new(id.clone(), hubs, self.prefix.clone(), self.config.replay_capacity);
        lock(&self.sessions).insert(id.clone(), Arc::new(session));
        (id, token)
    }

    /// The session `token` names, checked against the request's user.
    pub fn resolve(&self, token: Option<&str>, user: &str) -> Result<Arc<Session>, TokenError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(TokenError::Missing)?;
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| TokenError::Garbled)?;
        let text = String::from_utf8(bytes).map_err(|_| TokenError::Garbled)?;
        let (id, owner) = text.split_once(':').ok_or(TokenError::Garbled)?;
        if owner != user {
            return Err(TokenError::WrongUser);
        }
        lock(&self.sessions).get(id).cloned().ok_or(TokenError::Unknown)
    }

    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed)
    }

    /// WebSocket transports opened so far (`/connect` and `/reconnect`).
    pub fn transports_opened(&self) -> u64 {
        self.generation.load(Ordering::Relaxed) - 1
    }

    fn sessions(&self) -> Vec<Arc<Session>> {
        lock(&self.sessions).values().cloned().collect()
    }

    /// Recomputes the live-transport count after an attach or detach.
    pub fn recount(&self) {
        let live = self.sessions().iter().filter(|s| s.is_live()).count();
        self.live.send_replace(live);
    }

    pub fn live_count(&self) -> usize {
        *self.live.borrow()
    }

    pub fn watch_live(&self) -> watch::Receiver<usize> {
        self.live.subscribe()
    }

    /// Forgets a session (abort, reaper, or a test) and drops its transport.
    pub fn forget(&self, id: &str) {
        if let Some(session) = lock(&self.sessions).remove(id) {
            session.kill_transport();
        }
        self.recount();
    }

    pub fn forget_all(&self) {
        let ids: Vec<String> = lock(&self.sessions).keys().cloned().collect();
        for id in ids {
            self.forget(&id);
        }
    }

    /// Forgets sessions without a transport for longer than DisconnectTimeout.
    pub fn reap(&self) {
        let timeout = self.config.disconnect_timeout;
        let expired: Vec<String> =
            self.sessions().iter().filter(|s| s.expired(timeout)).map(|s| s.id.clone()).collect();
        for id in expired {
            tracing::debug!(connection = %id, "Simulator forgot a classic connection.");
            self.forget(&id);
        }
    }

    pub fn drop_transports(&self) {
        for session in self.sessions() {
            session.kill_transport();
        }
    }

    /// The queues of every live connection that listens to a job (see [`Session::feed_sender`]).
    pub fn feed_senders(&self) -> Vec<mpsc::Sender<Out>> {
        self.sessions().iter().filter_map(|s| s.feed_sender()).collect()
    }

    pub fn send_all(&self, out: Out) {
        for session in self.sessions() {
            session.send(out.clone());
        }
    }

    pub fn record_invocation(&self, invocation: Invocation) {
        let mut log = lock(&self.invocations);
        log.push(invocation);
        self.invocation_count.send_replace(log.len());
    }

    pub fn invocations(&self) -> Vec<Invocation> {
        lock(&self.invocations).clone()
    }

    pub fn watch_invocation_count(&self) -> watch::Receiver<usize> {
        self.invocation_count.subscribe()
    }

    pub fn go_silent(&self, until: Instant) {
        self.silent_until.send_replace(Some(until));
    }

    pub fn watch_silence(&self) -> watch::Receiver<Option<Instant>> {
        self.silent_until.subscribe()
    }

    /// Runs `f` on the model and publishes the events it yields.
    pub fn with_model<R>(&self, f: impl FnOnce(&mut HpcModel) -> (R, Vec<HpcEvent>)) -> R {
        // The lock is held while publishing so concurrent steps keep their order on the wire.
        let mut model = lock(&self.model);
        let (result, events) = f(&mut model);
        self.publish(&events);
        result
    }

    /// Reads the model without changing it.
    pub fn read_model<R>(&self, f: impl FnOnce(&HpcModel) -> R) -> R {
        f(&lock(&self.model))
    }

    /// Sends each session one envelope with the events of its groups, in order.
    fn publish(&self, events: &[HpcEvent]) {
        if events.is_empty() {
            return;
        }
        let routed: Vec<(String, Arc<str>)> = events.iter().map(encode).collect();
        for session in self.sessions() {
            let items: Vec<Arc<str>> = routed
                .iter()
                .filter(|(group, _)| session.in_group(group))
                .map(|(_, item)| item.clone())
                .collect();
            if !items.is_empty() {
                session.publish(&items);
            }
        }
    }
}

/// An event's group and its `M` item.
fn encode(event: &HpcEvent) -> (String, Arc<str>) {
    match event {
        HpcEvent::Job { job, state, previous } => {
            let args = format!(r#"[{job},"{state}","{previous}"]"#);
            (group(JOB_HUB, *job), wire::invocation_item(JOB_HUB, "JobStateChange", &args).into())
        }
        HpcEvent::Task { job, task, instance, state, previous } => {
            let args = format!(r#"[{job},{task},{instance},"{state}","{previous}"]"#);
            let item = wire::invocation_item(TASK_HUB, "TaskStateChange", &args);
            (group(TASK_HUB, *job), item.into())
        }
    }
}
