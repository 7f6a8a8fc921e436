//! `Spool::open` on a directory holding one arbitrary segment file, then reading every event
//! back, acknowledging them, and appending one more.
//!
//! Input: 4 bytes (LE) for the segment's first sequence number (its file name; the bridge counts
//! from 0, so numbers near `u64::MAX`, which would overflow, never occur), one mode byte,
//! then the file's contents after the segment header: raw when the mode is even, else payloads
//! given correct record headers (see `with_checksums`). Invariants: no panic; what open reports
//! recovered is what reads back; every event read is valid CloudEvents JSON; the good prefix
//! survives; after the cut the spool takes a new event and reads it back.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use signalr_bridge::spool::{Fsync, Spool, SpoolOptions};
use signalr_bridge_fuzz::{check_events, context, earlier_event, with_checksums};

/// What every segment file starts with (`segment::MAGIC`).
const MAGIC: &[u8] = b"SRBSPL1\n";

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first_chunk::<4>() else { return };
    let Some((&mode, rest)) = rest.split_first() else { return };
    let first = u32::from_le_bytes(*first);
    let dir = directory();
    let mut file =
        Vec::from(if mode & 2 == 0 { MAGIC } else { &MAGIC[..(mode as usize >> 2) % 9] });
    file.extend(if mode % 2 == 1 { with_checksums(rest) } else { rest.to_vec() });
    std::fs::write(dir.join(format!("{first:020}.seg")), &file).expect("writing the segment");

    let options = SpoolOptions {
        dir: dir.clone(),
        max_bytes: 1 << 20,
        segment_bytes: 1 << 16,
        fsync: Fsync::Never,
    };
    let (mut spool, recovered) = Spool::open(options.clone()).expect("a readable directory opens");
    assert!(recovered.cut_bytes <= file.len() as u64);
    let mut read = Vec::new();
    while let Some((seq, event)) = spool.read_next().expect("reading a checked segment") {
        read.push(seq);
        check_events(std::slice::from_ref(&event));
    }
    assert_eq!(read.len() as u64, recovered.events, "what open counted reads back");
    assert!(read.windows(2).all(|w| w[0] + 1 == w[1]), "sequence numbers follow each other");
    if let Some(&last) = read.last() {
        spool.ack(last);
    }
    let event = earlier_event(&context());
    let seq = spool.append(&event).expect("appending after recovery");
    let (back_seq, back) = spool.read_next().expect("reading").expect("the appended event");
    assert_eq!((back_seq, back.to_json()), (seq, event.to_json()));
    drop(spool);

    // Opening again finds exactly what is left: nothing more to cut.
    let (_, again) = Spool::open(options).expect("reopens");
    assert_eq!(again.cut_bytes, 0);
});

/// One directory per fuzzing process, emptied before each input.
fn directory() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("signalr-bridge-fuzz-spool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the spool directory");
    dir
}
