use super::*;

#[test]
fn trackable_types_are_one_to_five() {
    let tracked: Vec<u64> = (0..12).filter(|k| is_trackable(*k)).collect();
    assert_eq!(tracked, [1, 2, 3, 4, 5], "Ping, Close, Ack, Sequence and unknown are not");
}

#[test]
fn inbound_numbers_trackable_records_from_one_and_skips_untracked() {
    let mut inbound = Inbound::default();
    assert_eq!(inbound.record(1), Verdict::Process(1));
    assert_eq!(inbound.record(6), Verdict::Untracked);
    assert_eq!(inbound.record(3), Verdict::Process(2));
    assert_eq!(inbound.record(8), Verdict::Untracked);
    assert_eq!(inbound.latest(), 2);
}

#[test]
fn after_a_drop_nothing_is_processed_until_the_sequence_then_replayed_duplicates_are_skipped() {
    let mut inbound = Inbound::default();
    for id in 1..=5 {
        assert_eq!(inbound.record(1), Verdict::Process(id));
    }
    inbound.disconnected();
    assert!(inbound.awaiting_sequence());
    assert_eq!(inbound.record(1), Verdict::BeforeSequence);
    assert_eq!(inbound.record(6), Verdict::BeforeSequence);
    // The server replays from 4: its Ack for 4 and 5 never arrived.
    inbound.sequence(4).unwrap();
    assert!(!inbound.awaiting_sequence());
    assert_eq!(inbound.record(1), Verdict::Duplicate(4));
    assert_eq!(inbound.record(6), Verdict::Untracked);
    assert_eq!(inbound.record(1), Verdict::Duplicate(5));
    assert_eq!(inbound.record(1), Verdict::Process(6));
    assert_eq!(inbound.latest(), 6);
}

#[test]
fn a_sequence_past_what_was_received_is_refused() {
    let mut inbound = Inbound::default();
    inbound.record(1);
    inbound.disconnected();
    // Vector 12's Sequence 1234 on a connection that received one record.
    assert_eq!(inbound.sequence(1234), Err(SequenceError { got: 1234, expected: 2 }));
    // Nothing buffered on the peer's side: it names one past its last.
    inbound.sequence(2).unwrap();
    assert_eq!(inbound.record(1), Verdict::Process(2));
}

#[test]
fn a_second_drop_during_the_replay_keeps_what_was_processed() {
    let mut inbound = Inbound::default();
    for id in 1..=3 {
        assert_eq!(inbound.record(1), Verdict::Process(id));
    }
    inbound.disconnected();
    inbound.sequence(1).unwrap();
    assert_eq!(inbound.record(1), Verdict::Duplicate(1));
    inbound.disconnected();
    inbound.sequence(2).unwrap();
    assert_eq!(inbound.record(1), Verdict::Duplicate(2));
    assert_eq!(inbound.record(1), Verdict::Duplicate(3));
    assert_eq!(inbound.record(1), Verdict::Process(4));
}

#[test]
fn outbound_keeps_unacked_records_and_names_the_first_in_its_sequence() {
    let mut out = Outbound::new(BUFFER_BYTES);
    assert_eq!(out.first_unacked(), 1, "nothing sent: one past the last (0)");
    assert_eq!(out.push("a", 10), 1);
    assert_eq!(out.push("b", 20), 2);
    assert_eq!(out.push("c", 30), 3);
    assert_eq!(out.first_unacked(), 1);
    out.ack(2);
    assert_eq!(out.first_unacked(), 3);
    assert_eq!(out.replay().copied().collect::<Vec<_>>(), ["c"]);
    assert_eq!(out.buffered_bytes(), 30);
    out.ack(3);
    assert_eq!(out.first_unacked(), 4, "all acked: one past the last sent");
    assert_eq!(out.replay().count(), 0);
    out.ack(99);
    assert_eq!(out.buffered_bytes(), 0);
}

#[test]
fn outbound_full_at_the_limit_and_unresumable_past_it() {
    let mut out = Outbound::new(100);
    out.push(1, 60);
    assert!(!out.is_full());
    out.push(2, 40);
    assert!(out.is_full(), "a careful sender waits here");
    assert!(out.resumable());
    out.ack(1);
    assert!(!out.is_full());
    out.push(3, 70);
    assert!(!out.resumable(), "past the limit the replay is let go");
    assert_eq!(out.buffered_bytes(), 0);
    assert_eq!(out.push(4, 1), 4, "numbering goes on");
    assert_eq!(out.replay().count(), 0);
    // One record larger than the limit on its own is still kept: it is all there is.
    let mut big = Outbound::new(10);
    big.push("x", 50);
    assert!(big.resumable() && big.is_full());
}
