//! The classic ASP.NET SignalR 2.x dialect (HPC Pack 2016). The codec (URLs, negotiate answers,
//! frames, the reconnect cursor) is `signalr_proto::classic`; the I/O is here: `connect`
//! (negotiate, connect, /start, /reconnect, /abort) and `session` (one connection's life,
//! resumed across dropped transports). Healing the gap of a new connection is the profile's
//! (`profile::gap`), its REST reads `signalr::reconcile`'s.

pub mod connect;
pub mod session;

use std::sync::Arc;

use crate::event::WireId;
pub use signalr_proto::classic::Cursor;

/// The wire identity of the `position`-th (0-based) item of a classic envelope's `M` array.
///
/// The connection part is the envelope's message cursor `C`, not the connection id: when the
/// bridge comes back through `/reconnect` with the last cursor, the server replays the missed
/// messages from its bus, and a replayed item carries the same cursor and position, so it gets
/// the same event id and brokers de-duplicate it. A fresh connection (new negotiate) starts
/// new cursors, so its events get new ids.
pub fn wire_id(cursor: &str, position: usize) -> WireId {
    WireId { connection: Arc::from(cursor), record: position as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_id_is_cursor_and_position() {
        let id = wire_id("d-7F2E11C0-B,1|C,1", 2);
        assert_eq!(id.event_id(0), "d-7F2E11C0-B,1|C,1:2");
        assert_ne!(wire_id("d-A,1|C,1", 0).event_id(0), wire_id("d-A,2|C,1", 0).event_id(0));
    }
}
