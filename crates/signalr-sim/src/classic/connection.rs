//! One classic WebSocket transport: the task that owns the socket of a `/connect` or
//! `/reconnect`. It sends the init frame or the replay, queued envelopes, keep-alives and
//! control frames, and answers hub invocations. Session state lives in `session.rs`.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};

use super::hub;
use super::session::{Out, Session};
use super::state::Shared;
use super::wire;

/// Serves one upgraded socket for `session` until it ends, then detaches it.
pub async fn run(
    socket: WebSocket,
    shared: Arc<Shared>,
    session: Arc<Session>,
    resume: Option<(Option<String>, Option<String>)>,
) {
    let generation = shared.next_generation();
    let resume_refs = resume.as_ref().map(|(m, g)| (m.as_deref(), g.as_deref()));
    let attached = session.attach(generation, resume_refs);
    shared.recount();
    let mut conn = Conn { socket, shared: shared.clone(), session: session.clone() };
    tokio::select! {
        _ = attached.kill.cancelled() => {}
        _ = shared.cancel.cancelled() => {}
        _ = conn.serve(attached.rx, attached.first) => {}
    }
    session.detach(generation);
    shared.recount();
}

struct Conn {
    socket: WebSocket,
    shared: Arc<Shared>,
    session: Arc<Session>,
}

impl Conn {
    async fn serve(&mut self, mut rx: mpsc::Receiver<Out>, first: Vec<String>) {
        for frame in first {
            if self.send(frame).await.is_err() {
                return;
            }
        }
        let period = self.shared.config.keep_alive;
        let mut keep_alive = tokio::time::interval_at(Instant::now() + period, period);
        let mut silence = self.shared.watch_silence();
        loop {
            let silent_until = (*silence.borrow_and_update()).filter(|u| *u > Instant::now());
            if let Some(until) = silent_until {
                // A stalled network: nothing read, nothing written, not even keep-alives.
                tokio::select! {
                    _ = sleep_until(until) => {}
                    _ = silence.changed() => {}
                }
                keep_alive.reset();
                continue;
            }
            let keep_going = tokio::select! {
                _ = silence.changed() => true,
                _ = keep_alive.tick() => self.send("{}".to_string()).await.is_ok(),
                out = rx.recv() => self.on_out(out).await,
                message = self.socket.recv() => self.on_message(message).await,
            };
            if !keep_going {
                return;
            }
        }
    }

    async fn on_out(&mut self, out: Option<Out>) -> bool {
        match out {
            Some(Out::Frame(frame)) => self.send(frame.to_string()).await.is_ok(),
            Some(Out::Shutdown) => {
                let frame = wire::shutdown_frame(&self.session.current_cursor());
                if self.send(frame).await.is_ok() {
                    let close = CloseFrame { code: 1000, reason: "".into() };
                    let _ = self.socket.send(Message::Close(Some(close))).await;
                }
                false
            }
            None => false,
        }
    }

    async fn on_message(&mut self, message: Option<Result<Message, axum::Error>>) -> bool {
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return false,
            Some(Ok(_)) => return true,
        };
        let outcome = hub::handle(&self.session, text.as_str());
        if let Some(invocation) = outcome.logged {
            self.shared.record_invocation(invocation);
        }
        for frame in outcome.frames {
            if self.send(frame).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn send(&mut self, text: String) -> Result<(), axum::Error> {
        self.socket.send(Message::Text(text.into())).await
    }
}
