//! The SignalR client protocol without I/O, in the style of `quinn-proto` under `quinn` and
//! `tungstenite` under `tokio-tungstenite`: bytes in, typed messages and bytes out. No sockets,
//! no runtime, no HTTP client, no clocks: the caller owns those and asks this crate what the
//! bytes mean and what to send.
//!
//! - [`core`]: ASP.NET Core SignalR: JSON and MessagePack records split from WebSocket data and
//!   decoded into one borrowed [`core::HubMessage`] (arguments raw until a consumer decodes
//!   them into typed structs, [`core::Arguments`]), the handshake, the records a client writes,
//!   negotiate (URLs, status, answers, redirects) and stateful-reconnect sequencing and replay
//!   buffers.
//! - [`classic`]: classic ASP.NET SignalR 2.x: frames, the reconnect cursor, negotiate answers
//!   and endpoint URLs.
//! - [`backoff`]: the reconnect schedule.
//! - [`Secret`]: a credential that never prints.
//!
//! The protocol reference and its test vectors are `shared/protocols.md`; the vectors are the
//! unit tests here, and the fuzz targets (`fuzz/` beside this crate) hold every decoder to
//! "no panic, no unbounded allocation".
#![forbid(unsafe_code)]

pub mod backoff;
pub mod classic;
pub mod core;
mod secret;

pub use secret::Secret;

/// The decode-errors reason for a JSON error: `too_deep` past serde_json's nesting limit (128
/// levels, which keeps hostile input off the stack), else `json`.
pub fn json_error_reason(error: &serde_json::Error) -> &'static str {
    if error.to_string().starts_with("recursion limit exceeded") {
        "too_deep"
    } else {
        "json"
    }
}
