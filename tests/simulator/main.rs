//! The simulator driven at the wire level (raw WebSocket frames and HTTP), for behaviour the
//! official client cannot provoke: malformed and partial records, token reuse, timeouts,
//! drops, silence and backpressure.

mod access;
mod http;
mod msgpack;
mod race;
mod stateful;
mod support;
mod ws;
