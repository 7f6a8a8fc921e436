//! The hub protocol one Core connection speaks, chosen per hub (`protocol: json | messagepack`):
//! the records the client writes, as WebSocket frames of the right kind, and the buffer that
//! splits incoming WebSocket data into records across frames. Decoding a record is `json`'s or
//! `msgpack`'s job; what a record means is the session's. Which WebSocket library carries the
//! frames is the caller's business.

use serde::{Deserialize, Serialize};

use super::{json, msgpack};

/// The hub protocol (ASP.NET Core only): how records are encoded on the WebSocket.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum HubProtocol {
    /// JSON text records ended by `0x1E` (every server supports it).
    #[default]
    Json,
    /// MessagePack binary records with a VarInt length prefix; smaller and faster to decode,
    /// offered by servers that enable it (RedMist does).
    #[serde(rename = "messagepack")]
    MessagePack,
}

/// One WebSocket data message to send: JSON records travel as text, MessagePack as binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Records a client writes, in the connection's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writer(pub HubProtocol);

impl Writer {
    /// The handshake request: JSON text in both protocols. Version 2 (Ack and Sequence) only
    /// when stateful reconnect was negotiated, else 1, which every server accepts (trap 11).
    pub fn handshake(self, stateful: bool) -> Frame {
        let version = if stateful { 2 } else { 1 };
        Frame::Text(match self.0 {
            HubProtocol::Json => json::handshake_request(version),
            HubProtocol::MessagePack => msgpack::handshake_request(version),
        })
    }

    /// Ack (stateful reconnect): processed every record up to `sequence_id`.
    pub fn ack(self, sequence_id: u64) -> Frame {
        match self.0 {
            HubProtocol::Json => Frame::Text(json::ack(sequence_id)),
            HubProtocol::MessagePack => Frame::Binary(msgpack::ack(sequence_id)),
        }
    }

    /// Sequence (stateful reconnect): the replay that follows starts at `sequence_id`.
    pub fn sequence(self, sequence_id: u64) -> Frame {
        match self.0 {
            HubProtocol::Json => Frame::Text(json::sequence(sequence_id)),
            HubProtocol::MessagePack => Frame::Binary(msgpack::sequence(sequence_id)),
        }
    }

    pub fn ping(self) -> Frame {
        match self.0 {
            HubProtocol::Json => Frame::Text(json::PING.to_owned()),
            HubProtocol::MessagePack => Frame::Binary(msgpack::PING.to_vec()),
        }
    }

    pub fn close(self) -> Frame {
        match self.0 {
            HubProtocol::Json => Frame::Text(json::CLOSE.to_owned()),
            HubProtocol::MessagePack => Frame::Binary(msgpack::CLOSE.to_vec()),
        }
    }

    /// A subscription: an Invocation with an id, so the server answers with a Completion.
    pub fn invocation(self, id: u64, target: &str, arguments: &[serde_json::Value]) -> Frame {
        match self.0 {
            HubProtocol::Json => Frame::Text(json::invocation(id, target, arguments)),
            HubProtocol::MessagePack => Frame::Binary(msgpack::invocation(id, target, arguments)),
        }
    }

    /// The answer to a server invocation that expects a result the bridge cannot give.
    pub fn no_result_completion(self, invocation_id: &str) -> Frame {
        match self.0 {
            HubProtocol::Json => Frame::Text(json::no_result_completion(invocation_id)),
            HubProtocol::MessagePack => Frame::Binary(msgpack::no_result_completion(invocation_id)),
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

    /// Forgets a partial record (its transport is gone).
    pub fn clear(&mut self) {
        match self {
            Pending::Json(text) => text.clear(),
            Pending::MsgPack(bytes) => bytes.clear(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Pending::Json(text) => text.is_empty(),
            Pending::MsgPack(bytes) => bytes.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_writes_text_and_messagepack_binary_after_a_text_handshake() {
        let json = Writer(HubProtocol::Json);
        let mp = Writer(HubProtocol::MessagePack);
        assert_eq!(
            json.handshake(false),
            Frame::Text("{\"protocol\":\"json\",\"version\":1}\u{1e}".into())
        );
        assert_eq!(
            mp.handshake(false),
            Frame::Text("{\"protocol\":\"messagepack\",\"version\":1}\u{1e}".into())
        );
        // Stateful reconnect negotiated: version 2, still JSON text under MessagePack.
        assert_eq!(
            mp.handshake(true),
            Frame::Text("{\"protocol\":\"messagepack\",\"version\":2}\u{1e}".into())
        );
        assert_eq!(json.ack(3), Frame::Text("{\"type\":8,\"sequenceId\":3}\u{1e}".into()));
        assert_eq!(mp.sequence(19), Frame::Binary(vec![0x03, 0x92, 0x09, 0x13]));
        assert_eq!(json.ping(), Frame::Text("{\"type\":6}\u{1e}".into()));
        // Vectors 19 and 20: framed Ping, and Close without error or reconnect.
        assert_eq!(mp.ping(), Frame::Binary(vec![0x02, 0x91, 0x06]));
        assert_eq!(mp.close(), Frame::Binary(vec![0x04, 0x93, 0x07, 0xc0, 0xc2]));
        // Vector 24 with event 42 instead of 123: the same bytes but the argument.
        let subscribe = mp.invocation(0, "SubscribeToEventV2", &[serde_json::json!(123)]);
        let expected: Vec<u8> =
            "1b 96 01 80 a1 30 b2 53 75 62 73 63 72 69 62 65 54 6f 45 76 65 6e \
                                 74 56 32 91 7b 90"
                .split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).unwrap())
                .collect();
        assert_eq!(subscribe, Frame::Binary(expected));
        assert!(matches!(mp.no_result_completion("9"), Frame::Binary(_)));
        assert!(matches!(json.no_result_completion("9"), Frame::Text(_)));
    }

    #[test]
    fn pending_keeps_the_handshake_tail_in_the_protocol_buffer() {
        let Ok(Pending::MsgPack(bytes)) = Pending::new(HubProtocol::MessagePack, vec![0x02, 0x91])
        else {
            panic!("MessagePack buffer")
        };
        assert_eq!(bytes, [0x02, 0x91]);
        assert!(Pending::new(HubProtocol::Json, vec![0xff]).is_err(), "JSON tail must be UTF-8");
        assert!(Pending::new(HubProtocol::Json, Vec::new()).unwrap().is_empty());
    }
}
