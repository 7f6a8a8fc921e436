//! An invocation's arguments as the hub protocol delivered them, raw JSON or raw MessagePack,
//! and the few operations profiles need on them: check the count, decode one argument straight
//! into a typed struct, or turn them into JSON for pass-through. No meaning here.

use std::borrow::Cow;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::Serialize;
use serde_json::value::RawValue;

use super::DecodeError;
use crate::signalr::core::msgpack::{self, de::RAW_VALUE, Arguments};

/// The arguments array of one invocation.
#[derive(Debug, Clone, Copy)]
pub enum Args<'a> {
    /// JSON hub protocol (and classic): the `arguments` array as raw JSON.
    Json(&'a RawValue),
    /// MessagePack hub protocol: the arguments array as raw MessagePack.
    MsgPack(Arguments<'a>),
}

/// One argument.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Json(&'a RawValue),
    MsgPack(&'a [u8]),
}

impl<'a> Args<'a> {
    /// Every argument, checked for exact count (SignalR methods have fixed arity).
    pub fn split<const N: usize>(self, target: &str) -> Result<[Arg<'a>; N], DecodeError> {
        let all: Vec<Arg<'a>> = match self {
            Args::Json(raw) => {
                let all: Vec<&RawValue> = Arg::Json(raw).decode(target, 0)?;
                all.into_iter().map(Arg::Json).collect()
            }
            Args::MsgPack(args) => args.iter().map(Arg::MsgPack).collect(),
        };
        let got = all.len();
        all.try_into().map_err(|_| DecodeError::Arity {
            target: target.to_owned(),
            expected: N,
            got,
        })
    }

    /// The whole array straight into a tuple type, in one pass. Only for hot paths: on error
    /// call [`Args::split`] and [`Arg::decode`] to name the problem exactly.
    pub fn decode_tuple<T: Deserialize<'a>>(self, arity: usize) -> Option<T> {
        match self {
            Args::Json(raw) => serde_json::from_str(raw.get()).ok(),
            Args::MsgPack(args) if args.len() == arity => msgpack::de::from_slice(args.raw()).ok(),
            Args::MsgPack(_) => None,
        }
    }

    /// The arguments as a JSON array: borrowed as they came for JSON, converted for MessagePack.
    pub fn to_json(self, target: &str) -> Result<Cow<'a, RawValue>, DecodeError> {
        match self {
            Args::Json(raw) => Ok(Cow::Borrowed(raw)),
            Args::MsgPack(args) => Ok(Cow::Owned(json_of(target, args.raw())?)),
        }
    }
}

impl<'a> Arg<'a> {
    /// The argument straight into its typed struct (positionally from a MessagePack array).
    pub fn decode<T: Deserialize<'a>>(self, target: &str, index: usize) -> Result<T, DecodeError> {
        let target = || target.to_owned();
        match self {
            Arg::Json(raw) => serde_json::from_str(raw.get())
                .map_err(|source| DecodeError::Argument { target: target(), index, source }),
            Arg::MsgPack(raw) => msgpack::de::from_slice(raw)
                .map_err(|source| DecodeError::MsgPackArgument { target: target(), index, source }),
        }
    }
}

/// MessagePack converted to JSON text; builds a value tree, so not for hot paths.
fn json_of(target: &str, raw: &[u8]) -> Result<Box<RawValue>, DecodeError> {
    let bad = |source| DecodeError::MsgPackArgument { target: target.to_owned(), index: 0, source };
    let value = msgpack::to_json(raw).map_err(|e| bad(e.into()))?;
    serde_json::value::to_raw_value(&value)
        .map_err(|e| bad(msgpack::de::DeError::Custom(e.to_string())))
}

/// A nested value a profile passes through untouched: the raw JSON as sent, or a MessagePack
/// value converted to JSON (nested lists are rare, so the conversion stays off the hot path).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Nested<'a>(Cow<'a, RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Nested<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NestedVisitor;
        impl<'de> Visitor<'de> for NestedVisitor {
            type Value = Nested<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }

            /// JSON (any deserializer but ours): borrow the raw text.
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                <&'de RawValue>::deserialize(d).map(|raw| Nested(Cow::Borrowed(raw)))
            }

            /// MessagePack: the value's raw bytes, converted.
            fn visit_borrowed_bytes<E: de::Error>(self, raw: &'de [u8]) -> Result<Self::Value, E> {
                json_of("nested value", raw).map(|raw| Nested(Cow::Owned(raw))).map_err(E::custom)
            }
        }
        deserializer.deserialize_newtype_struct(RAW_VALUE, NestedVisitor)
    }
}
