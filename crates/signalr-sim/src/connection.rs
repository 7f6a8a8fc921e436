//! One simulated client connection: the task that owns its WebSocket. It runs the handshake,
//! which picks the hub protocol (JSON text or MessagePack binary records), then one loop over
//! incoming records, queued broadcasts, control commands and the keep-alive and client-timeout
//! clocks. Framing is in `frame.rs`, hub semantics in `hub.rs`; stateful reconnect (a
//! connection that outlives its WebSocket) in `resume`.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use signalr_proto::core::msgpack;
use signalr_proto::core::HubProtocol;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::frame::{self, RecordBuffer};
use super::state::{ConnHandle, Ctl, Outgoing, Shared};

mod dispatch;
mod resume;
mod send;

/// The longest unterminated record accepted (RedMist's MaximumReceiveMessageSize).
const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Queued records coalesced into one WebSocket text frame.
const MAX_BATCH_RECORDS: usize = 256;
const MAX_BATCH_BYTES: usize = 64 * 1024;
/// What the real server says when it closes a connection over a protocol error.
const CLOSE_ERROR: &str = "Connection closed with an error.";

/// Whether the loop goes on after handling something.
enum Flow {
    Continue,
    /// Close cleanly (WebSocket close 1000) after what was already sent.
    Close,
    /// Drop the socket without a close frame.
    Abort,
}

/// Serves one upgraded socket to the end; `token` is the negotiate token it claimed, if any,
/// `stateful` whether negotiate agreed to stateful reconnect (the handshake must say version 2
/// too).
pub async fn run(socket: WebSocket, shared: Arc<Shared>, token: Option<String>, stateful: bool) {
    let mut conn = Conn::new(socket, shared.clone());
    if let Some((leftover, version)) = conn.handshake().await {
        if let (true, 2, Some(token)) = (stateful, version, &token) {
            conn.make_stateful(token);
        }
        conn.serve(leftover).await;
    }
    if let Some(token) = token {
        shared.tokens.release(&token);
    }
}

struct Conn {
    /// None while a stateful connection waits for its next transport.
    socket: Option<WebSocket>,
    shared: Arc<Shared>,
    protocol: HubProtocol,
    buffer: RecordBuffer,
    /// MessagePack bytes not yet a whole record.
    binary: Vec<u8>,
    last_send: Instant,
    last_recv: Instant,
    /// The client timeout runs only after the client's first Ping, as in ASP.NET Core.
    client_timeout_active: bool,
    /// Cancelled to drop this socket at once, even in the middle of a blocked write.
    kill: CancellationToken,
    silence: watch::Receiver<Option<Instant>>,
    /// Numbering, replay buffer and new transports, when stateful reconnect is on.
    stateful: Option<resume::ServerStateful>,
}

impl Conn {
    fn new(socket: WebSocket, shared: Arc<Shared>) -> Conn {
        let now = Instant::now();
        Conn {
            socket: Some(socket),
            shared: shared.clone(),
            protocol: HubProtocol::Json,
            buffer: RecordBuffer::default(),
            binary: Vec::new(),
            last_send: now,
            last_recv: now,
            client_timeout_active: false,
            kill: shared.cancel.child_token(),
            silence: shared.watch_silence(),
            stateful: None,
        }
    }

    /// Reads the handshake record (JSON in both protocols); on success returns the data that
    /// followed it, and the protocol version asked for.
    async fn handshake(&mut self) -> Option<(Vec<u8>, i64)> {
        let deadline = sleep_until(Instant::now() + self.shared.options.handshake_timeout);
        tokio::pin!(deadline);
        let mut buf = Vec::new();
        loop {
            let message = tokio::select! {
                _ = &mut deadline => {
                    self.refuse(frame::HANDSHAKE_CANCELED).await;
                    return None;
                }
                _ = self.shared.cancel.cancelled() => return None,
                message = recv(&mut self.socket) => message,
            };
            buf.extend_from_slice(&frame_data(message?)?);
            let Some(end) = memchr::memchr(frame::RS as u8, &buf) else {
                if buf.len() > MAX_RECORD_BYTES {
                    return None;
                }
                continue;
            };
            let record = String::from_utf8_lossy(&buf[..end]).into_owned();
            match frame::check_handshake(&record) {
                Ok(protocol) => self.protocol = protocol,
                Err(error) => {
                    self.refuse(&error).await;
                    return None;
                }
            }
            // In the connection's transfer format: binary for MessagePack.
            let ok = self.message(|| frame::HANDSHAKE_OK.into(), || frame::HANDSHAKE_OK.into());
            self.send_message(ok).await.ok()?;
            return Some((buf.split_off(end + 1), frame::handshake_version(&record)));
        }
    }

    async fn refuse(&mut self, error: &str) {
        if self.send(frame::handshake_error(error)).await.is_ok() {
            self.close_socket().await;
        }
    }

    async fn serve(mut self, leftover: Vec<u8>) {
        let capacity = self.shared.options.queue_capacity.max(1);
        let (queue_tx, mut queue) = mpsc::channel(capacity);
        let (ctl_tx, mut ctl) = mpsc::channel(64);
        let handle = Arc::new(ConnHandle {
            queue: queue_tx,
            ctl: ctl_tx,
            kill: std::sync::Mutex::new(self.kill.clone()),
            forget: self.shared.cancel.child_token(),
            groups: Default::default(),
            protocol: self.protocol,
        });
        let id = self.shared.register(handle.clone());
        let mut flow = self.on_data(&handle, leftover).await;
        loop {
            while let Flow::Continue = flow {
                flow = self.step(&handle, &mut queue, &mut ctl).await;
            }
            // A stateful connection whose transport dropped waits for the next one.
            if !matches!(flow, Flow::Abort) || self.stateful.is_none() {
                break;
            }
            flow = self.park(&handle).await;
            if !matches!(flow, Flow::Continue) {
                break;
            }
        }
        self.shared.unregister(id);
        if let Flow::Close = flow {
            self.close_socket().await;
        }
    }

    /// Waits for the next thing to do and does it.
    async fn step(
        &mut self,
        handle: &ConnHandle,
        queue: &mut mpsc::Receiver<Outgoing>,
        ctl: &mut mpsc::Receiver<Ctl>,
    ) -> Flow {
        let silent = self.shared.silent_until();
        let quiet = silent.is_some();
        let wake = silent.unwrap_or_else(|| self.next_clock());
        let replay_full = self.stateful.as_ref().is_some_and(resume::ServerStateful::is_full);
        tokio::select! {
            biased;
            _ = self.kill.cancelled() => Flow::Abort,
            Some(socket) = resume::takeover(&mut self.stateful) => self.resume(handle, socket).await,
            _ = self.silence.changed() => Flow::Continue,
            _ = sleep_until(wake) => if quiet { Flow::Continue } else { self.on_clock().await },
            Some(command) = ctl.recv(), if !quiet => self.on_ctl(command).await,
            message = recv(&mut self.socket), if !quiet => match message.and_then(frame_data) {
                Some(data) => self.on_data(handle, data).await,
                None => Flow::Abort,
            },
            Some(first) = queue.recv(), if !quiet && !replay_full => {
                self.send_batch(first, queue).await
            }
        }
    }

    async fn on_ctl(&mut self, command: Ctl) -> Flow {
        match command {
            Ctl::Close { error, allow_reconnect } => {
                let record = self.close_record(error.as_deref(), allow_reconnect);
                match self.send_message(record).await {
                    Ok(()) => Flow::Close,
                    Err(()) => Flow::Abort,
                }
            }
            Ctl::Raw(text) => self.send_flow(text.to_string()).await,
            Ctl::RawBinary(data) => {
                self.send_message_flow(Message::Binary(data.to_vec().into())).await
            }
        }
    }

    /// When the keep-alive or client-timeout clock next needs a look.
    fn next_clock(&self) -> Instant {
        let ping_at = self.last_send + self.shared.options.keep_alive;
        if self.client_timeout_active {
            ping_at.min(self.last_recv + self.shared.options.client_timeout)
        } else {
            ping_at
        }
    }

    async fn on_clock(&mut self) -> Flow {
        let options = &self.shared.options;
        if self.client_timeout_active && self.last_recv.elapsed() >= options.client_timeout {
            tracing::debug!("Simulator client timed out; dropping it.");
            return Flow::Abort;
        }
        if self.last_send.elapsed() >= options.keep_alive {
            let ping = self.message(|| frame::PING.into(), || frame::msgpack::PING.into());
            return self.send_message_flow(ping).await;
        }
        Flow::Continue
    }

    /// Data from the client, in the connection's protocol: whole records are handled, a
    /// partial one waits for the next frame.
    async fn on_data(&mut self, handle: &ConnHandle, data: Vec<u8>) -> Flow {
        self.last_recv = Instant::now();
        if self.protocol == HubProtocol::MessagePack {
            let mut bodies = Vec::new();
            let split =
                msgpack::split_records(&mut self.binary, &data, |b| bodies.push(b.to_vec()));
            if split.is_err() || self.binary.len() > MAX_RECORD_BYTES {
                return self.protocol_error().await;
            }
            return self.on_msgpack_records(handle, bodies).await;
        }
        // The JSON protocol is text, but the server reads bytes, so UTF-8 binary frames work.
        let Ok(text) = String::from_utf8(data) else { return Flow::Abort };
        self.buffer.push(&text);
        if self.buffer.pending_len() > MAX_RECORD_BYTES {
            return self.protocol_error().await;
        }
        let records = self.buffer.drain_records();
        self.on_records(handle, records).await
    }

    async fn protocol_error(&mut self) -> Flow {
        let record = self.close_record(Some(CLOSE_ERROR), false);
        match self.send_message(record).await {
            Ok(()) => Flow::Close,
            Err(()) => Flow::Abort,
        }
    }
}

/// The next message of the current transport; never, while there is none.
async fn recv(socket: &mut Option<WebSocket>) -> Option<Result<Message, axum::Error>> {
    match socket {
        Some(socket) => socket.recv().await,
        None => std::future::pending().await,
    }
}

/// The bytes of a data frame; None when the socket is done. Control frames yield no bytes.
fn frame_data(message: Result<Message, axum::Error>) -> Option<Vec<u8>> {
    match message.ok()? {
        Message::Text(text) => Some(text.as_bytes().to_vec()),
        Message::Binary(bytes) => Some(bytes.to_vec()),
        Message::Ping(_) | Message::Pong(_) => Some(Vec::new()),
        Message::Close(_) => None,
    }
}
