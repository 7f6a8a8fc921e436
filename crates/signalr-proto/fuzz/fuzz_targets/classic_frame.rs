//! Classic ASP.NET SignalR 2.x WebSocket text frames: each decoded, envelopes fed to the
//! reconnect cursor, and the cursor turned into the `/reconnect` URL.
//!
//! Input: frames separated by `\n` (invalid UTF-8 replaced). Invariants: no panic; an
//! invocation's arguments are an array; the cursor moves only on a frame with `M` and then to
//! its `C`; the groups token follows `G`; `/reconnect` carries the cursor and groups token back
//! exactly (whatever characters they hold); every error has a metric reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signalr_proto::classic::frame::{self, Frame, Item};
use signalr_proto::classic::urls::Endpoints;
use signalr_proto::classic::Cursor;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let endpoints = endpoints();
    let mut cursor = Cursor::default();
    for line in text.split('\n') {
        let frame = match frame::parse_frame(line) {
            Ok(frame) => frame,
            Err(error) => {
                assert!(!error.reason().is_empty());
                continue;
            }
        };
        match frame {
            Frame::Envelope(envelope) => {
                let before = cursor.clone();
                cursor.observe(&envelope);
                let expected = match (&envelope.messages, &envelope.cursor) {
                    (Some(_), Some(c)) => Some(c.as_ref()),
                    _ => before.message_id(),
                };
                assert_eq!(cursor.message_id(), expected);
                let groups = envelope.groups_token.as_deref().or(before.groups_token());
                assert_eq!(cursor.groups_token(), groups);
                for (index, item) in envelope.messages.iter().flatten().enumerate() {
                    if let Item::Invocation { arguments, .. } = item {
                        assert!(arguments.get().starts_with('['), "item {index}");
                    }
                }
                reconnect_url(&endpoints, &cursor);
            }
            Frame::Result(result) => {
                if let Ok(Some(raw)) = result.outcome {
                    assert_ne!(raw.get(), "null", "a null result is a void result");
                }
            }
            Frame::KeepAlive | Frame::Progress(_) | Frame::Response(_) => {}
        }
    }
});

fn endpoints() -> Endpoints {
    let hub = url::Url::parse("https://head.example/hpc?tenant=a").expect("valid");
    Endpoints::new(&hub, &["JobEventHub", "TaskEventHub"]).expect("https is accepted")
}

/// `/reconnect` gives the server back exactly the cursor and groups token it sent.
fn reconnect_url(endpoints: &Endpoints, cursor: &Cursor) {
    let url = endpoints.reconnect("token", cursor.message_id(), cursor.groups_token());
    let find = |key: &str| url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned());
    assert_eq!(find("messageId").as_deref(), cursor.message_id(), "{url}");
    assert_eq!(find("groupsToken").as_deref(), cursor.groups_token(), "{url}");
    assert_eq!(find("connectionToken").as_deref(), Some("token"));
    assert_eq!(find("tenant").as_deref(), Some("a"));
}
