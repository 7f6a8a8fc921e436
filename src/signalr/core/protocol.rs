//! The hub protocol one Core connection speaks, chosen per hub (`protocol: json | messagepack`):
//! the records the client writes, as WebSocket messages, and the buffer that splits incoming
//! WebSocket data into records across frames. Decoding a record is `json`'s or `msgpack`'s job;
//! what a record means is the session's.

use tokio_tungstenite::tungstenite::Message;

use super::{json, msgpack};
use crate::config::HubProtocol;

/// Records a client writes, in the connection's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writer(pub HubProtocol);

impl Writer {
    /// The handshake request: JSON text in both protocols. Version 1: no stateful reconnect.
    pub fn handshake(self) -> Message {
        Message::text(match self.0 {
            HubProtocol::Json => json::handshake_request(1),
            HubProtocol::MessagePack => msgpack::handshake_request(1),
        })
    }

    pub fn ping(self) -> Message {
        match self.0 {
            HubProtocol::Json => Message::text(json::PING),
            HubProtocol::MessagePack => Message::binary(msgpack::PING),
        }
    }

    pub fn close(self) -> Message {
        match self.0 {
            HubProtocol::Json => Message::text(json::CLOSE),
            HubProtocol::MessagePack => Message::binary(msgpack::CLOSE),
        }
    }

    /// A subscription: an Invocation with an id, so the server answers with a Completion.
    pub fn invocation(self, id: u64, target: &str, arguments: &[serde_json::Value]) -> Message {
        match self.0 {
            HubProtocol::Json => Message::text(json::invocation(id, target, arguments)),
            HubProtocol::MessagePack => Message::binary(msgpack::invocation(id, target, arguments)),
        }
    }

    /// The answer to a server invocation that expects a result the bridge cannot give.
    pub fn no_result_completion(self, invocation_id: &str) -> Message {
        match self.0 {
            HubProtocol::Json => Message::text(json::no_result_completion(invocation_id)),
            HubProtocol::MessagePack => {
                Message::binary(msgpack::no_result_completion(invocation_id))
            }
        }
    }
}

/// Data received but not yet a whole record, kept across WebSocket frames.
#[derive(Debug)]
pub enum Pending {
    Json(String),
    MsgPack(Vec<u8>),
}

impl Pending {
    /// The buffer for `protocol`, starting with what followed the handshake response. JSON
    /// leftovers are UTF-8: they were cut from text at an ASCII separator.
    pub fn new(
        protocol: HubProtocol,
        leftover: Vec<u8>,
    ) -> Result<Pending, std::string::FromUtf8Error> {
        Ok(match protocol {
            HubProtocol::Json => Pending::Json(String::from_utf8(leftover)?),
            HubProtocol::MessagePack => Pending::MsgPack(leftover),
        })
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Pending::Json(text) => text.is_empty(),
            Pending::MsgPack(bytes) => bytes.is_empty(),
        }
    }
}
