//! Tests for the MessagePack cursor's skipping and the value-to-JSON conversion.

use serde_json::json;

use super::*;

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

fn json_of(text: &str) -> Result<Value, ValueError> {
    to_json(&hex(text))
}

#[test]
fn to_json_scalars_of_every_width() {
    let cases = [
        ("c0", json!(null)),
        ("c3", json!(true)),
        ("c2", json!(false)),
        ("2a", json!(42)),
        ("cc ff", json!(255)),
        ("cd 01 00", json!(256)),
        ("ce 00 01 00 00", json!(65536)),
        ("cf ff ff ff ff ff ff ff ff", json!(u64::MAX)),
        ("ff", json!(-1)),
        ("d0 80", json!(-128)),
        ("d1 80 00", json!(-32768)),
        ("d2 80 00 00 00", json!(i32::MIN)),
        ("d3 80 00 00 00 00 00 00 00", json!(i64::MIN)),
        ("ca 3f c0 00 00", json!(1.5)),
        ("cb 40 09 21 fb 54 44 2d 18", json!(std::f64::consts::PI)),
        ("cb 7f f8 00 00 00 00 00 00", json!(null)),
        ("a2 c3 a9", json!("é")),
        ("d9 01 78", json!("x")),
        ("c4 03 01 02 03", json!("AQID")),
    ];
    for (text, expected) in cases {
        assert_eq!(json_of(text), Ok(expected), "{text}");
    }
}

#[test]
fn to_json_containers() {
    // {"a": [1, nil], 5: "five", "bin": <00 ff>}
    let map = "83 a1 61 92 01 c0 05 a4 66 69 76 65 a3 62 69 6e c4 02 00 ff";
    assert_eq!(json_of(map), Ok(json!({"a": [1, null], "5": "five", "bin": "AP8="})));
    // A [Key(n)] object: positional array with nil in the unused slot.
    assert_eq!(json_of("dc 00 03 a1 78 c0 07"), Ok(json!(["x", null, 7])));
    assert_eq!(json_of("de 00 01 c3 90"), Ok(json!({"true": []})));
}

#[test]
fn to_json_refuses_container_map_keys() {
    // Found by fuzzing (core_msgpack): maps nested as keys of maps. Each level escapes the
    // JSON text of the key below it again, so the output doubled per level: 49 levels (about
    // 100 bytes) never finished converting. 20 levels keep this test quick should it regress.
    let bomb = format!("{}01 02{}", "81 ".repeat(20), " ff".repeat(19));
    let refused =
        Err(ValueError::Unexpected { expected: "scalar map key", found: Marker::FixMap(1) });
    assert_eq!(json_of(&bomb), refused);
    assert!(matches!(json_of("81 91 01 02"), Err(ValueError::Unexpected { .. })));
    // Values may still nest; only keys are scalars.
    assert_eq!(json_of("81 01 81 02 03"), Ok(json!({"1": {"2": 3}})));
}

#[test]
fn to_json_timestamps() {
    assert_eq!(json_of("d6 ff 00 00 00 00"), Ok(json!("1970-01-01T00:00:00Z")));
    // 30-bit nanoseconds (500 ms) above 34-bit seconds (1 700 000 000).
    let packed: u64 = (500_000_000u64 << 34) | 1_700_000_000;
    let mut ext8 = hex("d7 ff");
    ext8.extend(packed.to_be_bytes());
    assert_eq!(to_json(&ext8), Ok(json!("2023-11-14T22:13:20.5Z")));
    // 12-byte form: signed seconds, before the epoch.
    let before = "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff";
    assert_eq!(json_of(before), Ok(json!("1969-12-31T23:59:59Z")));
    assert_eq!(json_of("d5 ff 00 00"), Err(ValueError::Timestamp));
    let bad_nanos = "c7 0c ff ff ff ff ff 00 00 00 00 00 00 00 00";
    assert_eq!(json_of(bad_nanos), Err(ValueError::Timestamp));
    assert_eq!(json_of("d4 05 07"), Ok(json!({"ext": 5, "data": "Bw=="})));
}

#[test]
fn to_json_rejects_bad_input() {
    assert_eq!(json_of(""), Err(ValueError::Truncated));
    assert_eq!(json_of("92 01"), Err(ValueError::Truncated));
    assert_eq!(json_of("a3 61"), Err(ValueError::Truncated));
    assert_eq!(json_of("a1 ff"), Err(ValueError::Utf8));
    assert!(matches!(json_of("c1"), Err(ValueError::Unexpected { .. })));
    let deep = format!("{}c0", "91 ".repeat(MAX_JSON_DEPTH + 5));
    assert_eq!(json_of(&deep), Err(ValueError::TooDeep));
    let fine = format!("{}c0", "91 ".repeat(MAX_JSON_DEPTH));
    assert!(json_of(&fine).is_ok());
}

#[test]
fn skip_returns_each_whole_value() {
    let stream = hex("92 c7 0c ff 00 00 00 00 00 00 00 00 00 00 00 00 81 a1 6b c4 01 00 cb 00 00 00 00 00 00 00 00 2a");
    let mut cur = Cursor::new(&stream);
    assert_eq!(cur.skip().unwrap().len(), 1 + 15 + 6);
    assert_eq!(cur.skip().unwrap(), hex("cb 00 00 00 00 00 00 00 00"));
    assert_eq!(cur.skip().unwrap(), [0x2a]);
    assert_eq!(cur.skip(), Err(ValueError::Truncated));
}

#[test]
fn skip_ends_on_lying_lengths_and_deep_nesting() {
    // Claims 2^32-1 items and 2^32-1 string bytes with nothing behind them.
    assert_eq!(Cursor::new(&hex("dd ff ff ff ff")).skip(), Err(ValueError::Truncated));
    assert_eq!(Cursor::new(&hex("db ff ff ff ff 61")).skip(), Err(ValueError::Truncated));
    let deep = [vec![0x91; 100_000], vec![0xc0]].concat();
    assert_eq!(Cursor::new(&deep).skip().map(<[u8]>::len), Ok(deep.len()));
    assert!(matches!(Cursor::new(&[0xc1]).skip(), Err(ValueError::Unexpected { .. })));
}
