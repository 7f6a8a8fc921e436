//! Tests for the serde bridge: positional and keyed structs, tolerance of missing and extra
//! trailing items, integer widths, timestamps, raw pass-through, and bad input.

use std::borrow::Cow;

use serde::Deserialize;

use super::*;

fn to_json_value(raw: &[u8]) -> serde_json::Value {
    crate::core::msgpack::to_json(raw).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Car<'a> {
    #[serde(default)]
    event_id: Option<i64>,
    #[serde(borrow)]
    number: Cow<'a, str>,
    #[serde(default)]
    position: Option<i32>,
    #[serde(default)]
    speed: Option<f64>,
}

#[test]
fn positional_array_fills_fields_in_order() {
    // [nil, "7", 3, 1.5]
    let bytes = hex("94 c0 a1 37 03 cb 3f f8 00 00 00 00 00 00");
    let car: Car = from_slice(&bytes).unwrap();
    assert_eq!(
        car,
        Car { event_id: None, number: "7".into(), position: Some(3), speed: Some(1.5) }
    );
    assert!(matches!(car.number, Cow::Borrowed(_)), "strings borrow from the frame");
}

#[test]
fn missing_trailing_items_take_defaults_and_extra_ones_are_skipped() {
    let bytes = hex("92 2a a2 31 32");
    let short: Car = from_slice(&bytes).unwrap();
    assert_eq!(short, Car { event_id: Some(42), number: "12".into(), position: None, speed: None });
    // Six items: two the struct does not know (a map and an array), then a sibling value.
    let long = hex("92 96 c0 a1 39 01 c0 81 a1 78 01 92 01 02 a1 7a");
    let (car, next): (Car, String) = from_slice(&long).unwrap();
    assert_eq!(car.number, "9");
    assert_eq!(next, "z");
}

#[test]
fn a_required_field_missing_is_an_error() {
    let error = from_slice::<Car>(&hex("91 2a")).unwrap_err();
    assert!(error.to_string().contains("invalid length"), "{error}");
}

#[test]
fn keyed_maps_decode_too_and_unknown_keys_are_ignored() {
    // {"number": "5", "other": [1, [2]], "position": 2}
    let bytes = hex(
        "83 a6 6e 75 6d 62 65 72 a1 35 a5 6f 74 68 65 72 92 01 91 02 a8 70 6f 73 69 74 69 6f 6e 02",
    );
    let car: Car = from_slice(&bytes).unwrap();
    assert_eq!(car, Car { event_id: None, number: "5".into(), position: Some(2), speed: None });
}

#[test]
fn integers_of_any_width_fit_and_out_of_range_fails() {
    for bytes in
        ["2a", "cc 2a", "cd 00 2a", "ce 00 00 00 2a", "cf 00 00 00 00 00 00 00 2a", "d0 2a"]
    {
        assert_eq!(from_slice::<i32>(&hex(bytes)).unwrap(), 42, "{bytes}");
    }
    assert_eq!(from_slice::<i64>(&hex("ff")).unwrap(), -1);
    assert_eq!(from_slice::<f64>(&hex("2a")).unwrap(), 42.0);
    // 1.1 as a 32-bit float reads as 1.1, as a JSON writer would print it.
    assert_eq!(from_slice::<f64>(&hex("ca 3f 8c cc cd")).unwrap(), 1.1);
    assert_eq!(to_json_value(&hex("ca 3f 8c cc cd")), serde_json::json!(1.1));
    assert!(from_slice::<i32>(&hex("cf 00 00 00 01 00 00 00 00")).is_err());
    assert!(from_slice::<u32>(&hex("ff")).is_err());
}

#[test]
fn timestamps_become_rfc3339_text() {
    // timestamp 32: 2026-05-01T14:05:00Z = 1777644300
    let bytes = hex("d6 ff 69 f4 b3 0c");
    let text: String = from_slice(&bytes).unwrap();
    assert_eq!(text, "2026-05-01T14:05:00Z");
}

#[test]
fn raw_value_newtype_gets_the_whole_value_bytes() {
    struct Raw(Vec<u8>);
    impl<'de> Deserialize<'de> for Raw {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Raw;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("raw bytes")
                }
                fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Raw, E> {
                    Ok(Raw(v.to_vec()))
                }
            }
            d.deserialize_newtype_struct(RAW_VALUE, V)
        }
    }
    let (raw, n): (Raw, u8) = from_slice(&hex("92 92 81 a1 61 01 c0 07")).unwrap();
    assert_eq!(raw.0, hex("92 81 a1 61 01 c0"));
    assert_eq!(n, 7);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for bytes in ["", "94 c0", "a5 61", "c1", "dd ff ff ff ff", "92 a2 ff fe 01"] {
        assert!(from_slice::<Car>(&hex(bytes)).is_err(), "{bytes}");
    }
    let deep = vec![0x91; 10_000];
    assert!(from_slice::<serde::de::IgnoredAny>(&deep).is_err());
    let error = from_slice::<Vec<serde_json::Value>>(&deep).unwrap_err();
    assert!(matches!(
        error,
        DeError::Value(ValueError::TooDeep) | DeError::Value(ValueError::Truncated)
    ));
}
