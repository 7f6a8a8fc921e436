//! The connection states a hub can be in, as `/status` and the `hub_state` gauge show them.

/// Connection states a hub can be in, as the `state` gauge reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HubState {
    Connecting,
    Connected,
    Subscribed,
    Backoff,
    Stopped,
}

impl HubState {
    pub const ALL: [HubState; 5] = [
        HubState::Connecting,
        HubState::Connected,
        HubState::Subscribed,
        HubState::Backoff,
        HubState::Stopped,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            HubState::Connecting => "connecting",
            HubState::Connected => "connected",
            HubState::Subscribed => "subscribed",
            HubState::Backoff => "backoff",
            HubState::Stopped => "stopped",
        }
    }
}
