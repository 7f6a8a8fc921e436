//! Spool records on arbitrary bytes: `record::split` then `record::decode`, record after
//! record, as segment checking at open does.
//!
//! Input: the bytes after a segment's header. When the first byte is odd, the rest is taken as
//! payloads with lengths and given correct headers (a fuzzer cannot forge CRC-32s), so the
//! payload decoder behind the checksum is explored. Invariants: no panic; a split record fits
//! the input and its length is header plus payload; a decoded event serializes to valid
//! CloudEvents JSON, and encoding it again gives a record that decodes to the same JSON;
//! nothing is allocated from a claimed length before it is checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signalr_bridge::spool::record::{self, HEADER};
use signalr_bridge_fuzz::{check_events, with_checksums};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 2 == 1 { with_checksums(rest) } else { rest.to_vec() };
    let mut at = 0;
    while at < bytes.len() {
        let (payload, used) = match record::split(&bytes[at..]) {
            Ok(split) => split,
            Err(error) => {
                assert!(!error.to_string().is_empty());
                break;
            }
        };
        assert_eq!(used, HEADER + payload.len());
        assert!(at + used <= bytes.len());
        at += used;
        let Ok(event) = record::decode(payload) else { continue };
        check_events(std::slice::from_ref(&event));
        let mut again = Vec::new();
        record::encode(&event, &mut again);
        let (payload, used) = record::split(&again).expect("an encoded record splits");
        assert_eq!(used, again.len());
        let back = record::decode(payload).expect("an encoded record decodes");
        assert_eq!(back.to_json(), event.to_json(), "a record round-trips");
        assert_eq!(back.hub, event.hub);
    }
});
