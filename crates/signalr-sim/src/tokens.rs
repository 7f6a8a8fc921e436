//! Negotiated connection tokens: issued by negotiate, claimed by the WebSocket upgrade that
//! uses them, forgotten when their connection ends (then 404, like a reaped connection). A
//! stateful-reconnect connection also registers where a new transport for it goes, so an
//! upgrade with its token resumes it instead of starting one. No sockets are touched here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::ws::WebSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::state::lock;

/// Where new transports of a stateful connection are handed over.
pub type Takeover = mpsc::Sender<WebSocket>;

#[derive(Debug)]
struct Entry {
    issued: Instant,
    in_use: bool,
    /// Negotiated with `useStatefulReconnect=true` (and agreed).
    stateful: bool,
    /// Set while a stateful connection lives (attached or waiting for a transport).
    takeover: Option<Takeover>,
}

/// What an upgrade with `?id=` gets.
#[derive(Debug)]
pub enum Claim {
    /// A new connection; `stateful` if negotiate agreed to stateful reconnect.
    New { stateful: bool },
    /// A new transport for a live stateful connection: hand the socket over.
    Resume(Takeover),
}

/// Why a WebSocket upgrade with `?id=` is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// Unknown, expired, or its connection already ended: 404.
    NotFound,
    /// A socket already uses it: 409.
    InUse,
}

/// The token table; `ttl` is how long an unused token stays valid.
#[derive(Debug)]
pub struct Tokens {
    map: Mutex<HashMap<String, Entry>>,
    ttl: Duration,
}

impl Tokens {
    pub fn new(ttl: Duration) -> Tokens {
        Tokens { map: Mutex::default(), ttl }
    }

    /// Records a fresh negotiate token, and forgets expired unused ones so the map stays small.
    pub fn issue(&self, token: String, stateful: bool) {
        let ttl = self.ttl;
        let mut map = lock(&self.map);
        map.retain(|_, e| e.in_use || e.issued.elapsed() <= ttl);
        map.insert(
            token,
            Entry { issued: Instant::now(), in_use: false, stateful, takeover: None },
        );
    }

    /// Marks a token as used by the socket being upgraded, or names the stateful connection
    /// the socket resumes.
    pub fn claim(&self, token: &str) -> Result<Claim, ClaimError> {
        let mut map = lock(&self.map);
        let entry = map.get_mut(token).ok_or(ClaimError::NotFound)?;
        if let Some(takeover) = &entry.takeover {
            return Ok(Claim::Resume(takeover.clone()));
        }
        if entry.in_use {
            return Err(ClaimError::InUse);
        }
        if entry.issued.elapsed() > self.ttl {
            map.remove(token);
            return Err(ClaimError::NotFound);
        }
        entry.in_use = true;
        Ok(Claim::New { stateful: entry.stateful })
    }

    /// A stateful connection under `token` takes new transports through `takeover`.
    pub fn attach(&self, token: &str, takeover: Takeover) {
        if let Some(entry) = lock(&self.map).get_mut(token) {
            entry.takeover = Some(takeover);
        }
    }

    /// The token's connection ended: a later connect with it gets 404.
    pub fn release(&self, token: &str) {
        lock(&self.map).remove(token);
    }
}
