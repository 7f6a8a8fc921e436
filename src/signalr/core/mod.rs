//! The ASP.NET Core SignalR dialect (JSON and MessagePack hub protocols over WebSockets).

pub mod connect;
pub mod json;
pub mod msgpack;
pub mod negotiate;
pub mod protocol;
pub mod resume;
pub mod session;
pub mod stateful;
