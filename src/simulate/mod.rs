//! The built-in simulator (INTERFACE STUB: to be implemented).

pub mod race;

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::SimulatorConfig;

/// A running simulator; dropping it stops the server.
pub struct Simulator {
    pub addr: SocketAddr,
}

/// Commands tests (and `/_sim/*` HTTP endpoints) give a running simulator.
#[derive(Clone)]
pub struct SimControl {}

impl Simulator {
    pub async fn start(_config: SimulatorConfig) -> std::io::Result<Simulator> {
        todo!()
    }
    /// `http://<addr>/status/event-status`.
    pub fn hub_url(&self) -> url::Url {
        todo!()
    }
    pub fn control(&self) -> SimControl {
        todo!()
    }
}

impl SimControl {
    pub fn drop_connections(&self) {}
    pub fn go_silent(&self, _for: Duration) {}
    pub fn close(&self, _allow_reconnect: bool) {}
    pub fn reset(&self) {}
    pub fn set_required_token(&self, _token: Option<String>) {}
    pub fn inject_raw(&self, _text: String) {}
    pub fn connection_count(&self) -> usize {
        0
    }
    pub fn invocations_received(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}
