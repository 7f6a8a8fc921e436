//! One simulated client connection: the task that owns its WebSocket. It runs the handshake,
//! then one loop over incoming records, queued broadcasts, control commands and the keep-alive
//! and client-timeout clocks. Framing is in `frame.rs`, hub semantics in `hub.rs`.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::frame::{self, RecordBuffer};
use super::state::{ConnHandle, Ctl, Shared};

mod dispatch;

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

/// Serves one upgraded socket to the end; `token` is the negotiate token it claimed, if any.
pub async fn run(socket: WebSocket, shared: Arc<Shared>, token: Option<String>) {
    let mut conn = Conn::new(socket, shared.clone());
    if let Some(leftover) = conn.handshake().await {
        conn.serve(leftover).await;
    }
    if let Some(token) = token {
        shared.release_token(&token);
    }
}

struct Conn {
    socket: WebSocket,
    shared: Arc<Shared>,
    buffer: RecordBuffer,
    last_send: Instant,
    last_recv: Instant,
    /// The client timeout runs only after the client's first Ping, as in ASP.NET Core.
    client_timeout_active: bool,
    /// Cancelled to drop this socket at once, even in the middle of a blocked write.
    kill: CancellationToken,
    silence: watch::Receiver<Option<Instant>>,
}

impl Conn {
    fn new(socket: WebSocket, shared: Arc<Shared>) -> Conn {
        let now = Instant::now();
        Conn {
            socket,
            shared: shared.clone(),
            buffer: RecordBuffer::default(),
            last_send: now,
            last_recv: now,
            client_timeout_active: false,
            kill: shared.cancel.child_token(),
            silence: shared.watch_silence(),
        }
    }

    /// Reads the handshake record; on success returns the records that followed it.
    async fn handshake(&mut self) -> Option<Vec<String>> {
        let deadline = sleep_until(Instant::now() + self.shared.options.handshake_timeout);
        tokio::pin!(deadline);
        loop {
            let message = tokio::select! {
                _ = &mut deadline => {
                    self.refuse(frame::HANDSHAKE_CANCELED).await;
                    return None;
                }
                _ = self.shared.cancel.cancelled() => return None,
                message = self.socket.recv() => message,
            };
            let text = frame_text(message?)?;
            self.buffer.push(&text);
            let mut records = self.buffer.drain_records().into_iter();
            let Some(first) = records.next() else {
                if self.buffer.pending_len() > MAX_RECORD_BYTES {
                    return None;
                }
                continue;
            };
            if let Err(error) = frame::check_handshake(&first) {
                self.refuse(&error).await;
                return None;
            }
            self.send(frame::HANDSHAKE_OK.to_string()).await.ok()?;
            return Some(records.collect());
        }
    }

    async fn refuse(&mut self, error: &str) {
        if self.send(frame::handshake_error(error)).await.is_ok() {
            self.close_socket().await;
        }
    }

    async fn serve(mut self, leftover: Vec<String>) {
        let capacity = self.shared.options.queue_capacity.max(1);
        let (queue_tx, mut queue) = mpsc::channel(capacity);
        let (ctl_tx, mut ctl) = mpsc::channel(64);
        let handle = Arc::new(ConnHandle {
            queue: queue_tx,
            ctl: ctl_tx,
            kill: self.kill.clone(),
            groups: Default::default(),
        });
        let id = self.shared.register(handle.clone());
        let mut flow = self.on_records(&handle, leftover).await;
        while let Flow::Continue = flow {
            flow = self.step(&handle, &mut queue, &mut ctl).await;
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
        queue: &mut mpsc::Receiver<Arc<str>>,
        ctl: &mut mpsc::Receiver<Ctl>,
    ) -> Flow {
        let silent = self.shared.silent_until();
        let quiet = silent.is_some();
        let wake = silent.unwrap_or_else(|| self.next_clock());
        tokio::select! {
            biased;
            _ = self.kill.cancelled() => Flow::Abort,
            _ = self.silence.changed() => Flow::Continue,
            _ = sleep_until(wake) => if quiet { Flow::Continue } else { self.on_clock().await },
            Some(command) = ctl.recv(), if !quiet => self.on_ctl(command).await,
            message = self.socket.recv(), if !quiet => match message.and_then(frame_text) {
                Some(text) => self.on_text(handle, &text).await,
                None => Flow::Abort,
            },
            Some(first) = queue.recv(), if !quiet => self.send_batch(first, queue).await,
        }
    }

    async fn on_ctl(&mut self, command: Ctl) -> Flow {
        match command {
            Ctl::Close { error, allow_reconnect } => {
                let record = frame::close_record(error.as_deref(), allow_reconnect);
                match self.send(record).await {
                    Ok(()) => Flow::Close,
                    Err(()) => Flow::Abort,
                }
            }
            Ctl::Raw(text) => self.send_flow(text.to_string()).await,
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
            return self.send_flow(frame::PING.to_string()).await;
        }
        Flow::Continue
    }

    async fn on_text(&mut self, handle: &ConnHandle, text: &str) -> Flow {
        self.last_recv = Instant::now();
        self.buffer.push(text);
        if self.buffer.pending_len() > MAX_RECORD_BYTES {
            return self.protocol_error().await;
        }
        let records = self.buffer.drain_records();
        self.on_records(handle, records).await
    }

    async fn protocol_error(&mut self) -> Flow {
        match self.send(frame::close_record(Some(CLOSE_ERROR), false)).await {
            Ok(()) => Flow::Close,
            Err(()) => Flow::Abort,
        }
    }

    /// Sends `first` plus whatever else is already queued, as one text frame.
    async fn send_batch(&mut self, first: Arc<str>, queue: &mut mpsc::Receiver<Arc<str>>) -> Flow {
        let mut text = String::with_capacity(first.len() * 4);
        text.push_str(&first);
        for _ in 1..MAX_BATCH_RECORDS {
            if text.len() >= MAX_BATCH_BYTES {
                break;
            }
            match queue.try_recv() {
                Ok(next) => text.push_str(&next),
                Err(_) => break,
            }
        }
        self.send_flow(text).await
    }

    async fn send_flow(&mut self, text: String) -> Flow {
        match self.send(text).await {
            Ok(()) => Flow::Continue,
            Err(()) => Flow::Abort,
        }
    }

    /// Writes one text frame (JSON protocol never uses binary frames). A write blocked by a
    /// client that stopped reading still ends when the connection is killed.
    async fn send(&mut self, text: String) -> Result<(), ()> {
        self.last_send = Instant::now();
        tokio::select! {
            _ = self.kill.cancelled() => Err(()),
            result = self.socket.send(Message::Text(text.into())) => result.map_err(|_| ()),
        }
    }

    async fn close_socket(&mut self) {
        let frame = CloseFrame { code: 1000, reason: "".into() };
        let _ = self.socket.send(Message::Close(Some(frame))).await;
    }
}

/// The text of a data frame; None when the socket is done. Control frames yield empty text.
fn frame_text(message: Result<Message, axum::Error>) -> Option<String> {
    match message.ok()? {
        Message::Text(text) => Some(text.as_str().to_owned()),
        // The JSON protocol is text, but the server reads bytes, so UTF-8 binary frames work.
        Message::Binary(bytes) => String::from_utf8(bytes.to_vec()).ok(),
        Message::Ping(_) | Message::Pong(_) => Some(String::new()),
        Message::Close(_) => None,
    }
}
