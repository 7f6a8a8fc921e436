//! ASP.NET Core SignalR: the JSON and MessagePack hub protocols, the handshake, negotiate and
//! stateful reconnect.

mod arguments;
pub mod json;
mod message;
pub mod msgpack;
pub mod negotiate;
pub mod protocol;
pub mod stateful;

pub use arguments::{Argument, ArgumentError, Arguments, Nested};
pub use message::{HubMessage, RecordError};
pub use protocol::{Frame, HubProtocol, Pending, Writer};
