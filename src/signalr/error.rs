//! Why a session could not start or went away, as enums the reconnect loop branches on: which
//! failures a resume can heal, which need an operator (credentials), and a bounded reason label
//! for the reconnects metric. No variant carries free text standing for a kind of failure.

use signalr_proto::core::{msgpack, stateful};
use tokio_tungstenite::tungstenite;

use super::{auth, core, transport};

/// Why a session could not start or went away.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Token(transport::TokenError),
    #[error(transparent)]
    TokenEndpoint(auth::oauth2::TokenEndpointError),
    #[error(transparent)]
    Negotiate(core::negotiate::NegotiateError),
    #[error(transparent)]
    Connect(transport::ConnectError),
    #[error(transparent)]
    Handshake(signalr_proto::core::json::HandshakeError),
    #[error(transparent)]
    ClassicNegotiate(signalr_proto::classic::negotiate::NegotiateError),
    #[error("the server is shutting down (T:1)")]
    ServerShutdown,
    #[error("the server reported an error: {0}")]
    ServerError(String),
    #[error("nothing received for {0} s (the server's KeepAliveTimeout)")]
    KeepAliveTimeout(u64),
    #[error("{0} timed out")]
    Timeout(&'static str),
    #[error("nothing received for {0} s")]
    ServerTimeout(u64),
    /// Reading or writing the WebSocket failed.
    #[error("transport: {0}")]
    WebSocket(Box<tungstenite::Error>),
    /// The server closed the WebSocket: its close code and reason, if it gave them.
    #[error("transport: server closed the WebSocket ({})", .0.as_deref().unwrap_or("no code"))]
    ClosedByServer(Option<String>),
    /// The connection ended without a close frame, at this point.
    #[error("transport: {0}")]
    Ended(Ending),
    /// The server broke the protocol; a resume cannot heal that.
    #[error("protocol: {0}")]
    Protocol(#[from] ProtocolError),
    /// A classic HTTP request (start, abort) got no answer.
    #[error("{what}: {error}")]
    Request { what: &'static str, error: String },
    /// The hub has nothing to connect to: a configuration the operator must fix.
    #[error(
        "no classic hub to connect to: configure the profile's hubs or give subscriptions a `hub`"
    )]
    NoClassicHub,
    #[error(transparent)]
    Url(#[from] signalr_proto::classic::urls::UrlError),
    /// The bridge is shutting down: it stopped a connect or resume midway. Not a failure, and
    /// not a reconnect.
    #[error("the bridge is shutting down")]
    Shutdown,
    #[error("the event queue is closed")]
    QueueClosed,
}

/// Where a connection ended without a close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ending {
    #[error("connection ended")]
    Reading,
    #[error("closed during the handshake")]
    Handshake,
    #[error("closed before the init frame")]
    BeforeInit,
}

/// How the server broke the protocol.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("binary frame during a JSON handshake")]
    BinaryHandshake,
    #[error("handshake answer too large")]
    HandshakeTooLarge,
    #[error("handshake tail is not UTF-8")]
    HandshakeTailNotUtf8,
    #[error(transparent)]
    MsgPackFraming(#[from] msgpack::FrameError),
    #[error(transparent)]
    Sequence(#[from] stateful::SequenceError),
    #[error("bad init frame: {0}")]
    InitFrame(signalr_proto::classic::frame::FrameError),
    #[error("/start did not answer `started`: {0}")]
    NotStarted(String),
}

impl SessionError {
    /// A WebSocket read or write that failed.
    pub fn websocket(e: tungstenite::Error) -> SessionError {
        SessionError::WebSocket(Box::new(e))
    }

    /// The peer closed the WebSocket.
    pub fn closed(close: Option<tungstenite::protocol::CloseFrame>) -> SessionError {
        SessionError::ClosedByServer(close.map(|c| format!("{} {}", u16::from(c.code), c.reason)))
    }

    /// The transport under a live connection went away (a socket error, a close, or the end of
    /// the stream): what a stateful resume or a classic `/reconnect` can heal.
    pub fn is_transport_loss(&self) -> bool {
        matches!(
            self,
            SessionError::WebSocket(_) | SessionError::ClosedByServer(_) | SessionError::Ended(_)
        )
    }

    /// Credentials were refused: an operator must act.
    pub fn is_auth(&self) -> bool {
        use auth::oauth2::TokenEndpointError as T;
        use core::negotiate::NegotiateError as N;
        matches!(
            self,
            SessionError::Negotiate(N::Unauthorized(_))
                | SessionError::Connect(transport::ConnectError::Unauthorized(_))
                | SessionError::TokenEndpoint(T::Refused { .. })
        )
    }

    /// HTTP 401 on negotiate or on the upgrade: the token was not accepted (maybe expired), so
    /// a new one may help. (403 means the identity was understood and denied.)
    pub fn is_token_refused(&self) -> bool {
        use core::negotiate::NegotiateError as N;
        matches!(
            self,
            SessionError::Negotiate(N::Unauthorized(401))
                | SessionError::Connect(transport::ConnectError::Unauthorized(401))
        )
    }

    /// The `reason` label of `reconnects_total`: one of [`RECONNECT_REASONS`].
    pub fn reason(&self) -> &'static str {
        match self {
            e if e.is_auth() => "auth",
            SessionError::Negotiate(_) => "negotiate",
            SessionError::Connect(_) => "connect",
            SessionError::Handshake(_) => "handshake",
            SessionError::ClassicNegotiate(_) => "negotiate",
            SessionError::ServerShutdown => "server_shutdown",
            SessionError::ServerError(_) => "server_error",
            SessionError::KeepAliveTimeout(_) => "keepalive_timeout",
            SessionError::Timeout(_) => "timeout",
            SessionError::ServerTimeout(_) => "server_timeout",
            SessionError::WebSocket(_)
            | SessionError::ClosedByServer(_)
            | SessionError::Ended(_) => "transport",
            SessionError::Protocol(_) => "protocol",
            SessionError::Request { .. } => "request",
            SessionError::NoClassicHub | SessionError::Url(_) => "config",
            SessionError::Shutdown => "shutdown",
            SessionError::QueueClosed => "queue_closed",
            SessionError::Token(_) => "credentials_file",
            SessionError::TokenEndpoint(auth::oauth2::TokenEndpointError::Secret(_)) => {
                "credentials_file"
            }
            SessionError::TokenEndpoint(_) => "token_endpoint",
        }
    }
}

/// Every `reason` of `reconnects_total`: [`SessionError::reason`] of the errors that end a
/// session, and a server Close with or without leave to reconnect. Each hub's series are
/// created at zero, so an alert's `increase()` sees the first one.
pub const RECONNECT_REASONS: &[&str] = &[
    "auth",
    "negotiate",
    "connect",
    "handshake",
    "server_shutdown",
    "server_error",
    "keepalive_timeout",
    "timeout",
    "server_timeout",
    "transport",
    "protocol",
    "request",
    "config",
    "token_endpoint",
    "credentials_file",
    "close_allow_reconnect",
    "close",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reasons_of_errors_that_end_a_session_are_listed() {
        let errors = [
            SessionError::ServerShutdown,
            SessionError::ServerError("x".into()),
            SessionError::KeepAliveTimeout(1),
            SessionError::Timeout("handshake"),
            SessionError::ServerTimeout(30),
            SessionError::ClosedByServer(None),
            SessionError::Request { what: "start", error: "x".into() },
            SessionError::NoClassicHub,
        ];
        for error in errors {
            assert!(RECONNECT_REASONS.contains(&error.reason()), "{error}: {}", error.reason());
        }
    }
}
