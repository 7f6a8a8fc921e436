//! A broker connection's state, shared by the sinks that have one (Kafka, NATS): set from the
//! client library's callbacks, mirrored into [`AppStatus`] for `/readyz`.

use std::sync::{Arc, Mutex};

use crate::status::AppStatus;

/// Whether the connection is up, mirrored into [`AppStatus`] once the publisher attaches it.
///
/// async-nats reports state changes from its own task; the lock keeps the last state and the
/// status in step however the callback and `attach` interleave.
#[derive(Debug, Default)]
pub struct Link {
    state: Mutex<(bool, Option<Arc<AppStatus>>)>,
    /// Why the broker refused us, as a client callback reported it (Kafka SASL).
    refusal: Mutex<Option<String>>,
}

impl Link {
    /// Records the state; true when it changed (callers log transitions, not repetitions).
    pub fn set_connected(&self, connected: bool) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let changed = state.0 != connected;
        state.0 = connected;
        if let Some(status) = &state.1 {
            status.set_sink_connected(connected);
        }
        changed
    }

    /// The broker refused our credentials: the next connection check fails for good.
    pub fn refused(&self, why: String) {
        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
    }

    /// The refusal reported since the last look, if any.
    pub fn take_refusal(&self) -> Option<String> {
        self.refusal.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    pub fn attach(&self, status: Arc<AppStatus>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        status.set_sink_connected(state.0);
        state.1 = Some(status);
    }
}
