//! ASP.NET Core SignalR connections: negotiate over HTTP, the WebSocket and handshake, one
//! session's life, and resuming it (stateful reconnect). The protocol itself (records,
//! handshake, sequencing) is `signalr_proto::core`.

pub mod connect;
pub mod negotiate;
pub mod resume;
pub mod session;
