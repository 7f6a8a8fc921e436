//! An invocation's arguments as the hub protocol delivered them, raw JSON or raw MessagePack,
//! and the few operations a consumer needs on them: check the count, decode one argument
//! straight into a typed struct (the same struct for both protocols), or turn them into JSON
//! for pass-through. No meaning here: that is the caller's.

use std::borrow::Cow;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::Serialize;
use serde_json::value::RawValue;

use super::msgpack::{self, de::DeError, de::RAW_VALUE};

/// The arguments array of one invocation.
#[derive(Debug, Clone, Copy)]
pub enum Arguments<'a> {
    /// JSON hub protocol (and classic): the `arguments` array as raw JSON.
    Json(&'a RawValue),
    /// MessagePack hub protocol: the arguments array as raw MessagePack.
    MsgPack(msgpack::Arguments<'a>),
}

/// One argument (or a Completion's result value).
#[derive(Debug, Clone, Copy)]
pub enum Argument<'a> {
    Json(&'a RawValue),
    MsgPack(&'a [u8]),
}

/// Equal when the same protocol carried the same bytes.
impl PartialEq for Arguments<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Arguments::Json(a), Arguments::Json(b)) => a.get() == b.get(),
            (Arguments::MsgPack(a), Arguments::MsgPack(b)) => a == b,
            _ => false,
        }
    }
}

/// Equal when the same protocol carried the same bytes.
impl PartialEq for Argument<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Argument::Json(a), Argument::Json(b)) => a.get() == b.get(),
            (Argument::MsgPack(a), Argument::MsgPack(b)) => a == b,
            _ => false,
        }
    }
}

/// Arguments that do not fit what the caller asked for.
#[derive(Debug, thiserror::Error)]
pub enum ArgumentError {
    #[error("argument {index} of {target}: {source}")]
    Json { target: String, index: usize, source: serde_json::Error },
    #[error("argument {index} of {target}: {source}")]
    MsgPack { target: String, index: usize, source: DeError },
    #[error("{target} expects {expected} argument(s), got {got}")]
    Arity { target: String, expected: usize, got: usize },
}

impl ArgumentError {
    /// A bounded label for the decode-errors metric.
    pub fn reason(&self) -> &'static str {
        match self {
            ArgumentError::Json { source, .. }
                if crate::json_error_reason(source) == "too_deep" =>
            {
                "too_deep"
            }
            ArgumentError::Json { .. } | ArgumentError::MsgPack { .. } => "argument_type",
            ArgumentError::Arity { .. } => "argument_count",
        }
    }
}

impl<'a> Arguments<'a> {
    /// Every argument, checked for exact count (SignalR methods have fixed arity).
    pub fn split<const N: usize>(self, target: &str) -> Result<[Argument<'a>; N], ArgumentError> {
        let all: Vec<Argument<'a>> = match self {
            Arguments::Json(raw) => {
                let all: Vec<&RawValue> = Argument::Json(raw).decode(target, 0)?;
                all.into_iter().map(Argument::Json).collect()
            }
            Arguments::MsgPack(args) => args.iter().map(Argument::MsgPack).collect(),
        };
        let got = all.len();
        all.try_into().map_err(|_| ArgumentError::Arity {
            target: target.to_owned(),
            expected: N,
            got,
        })
    }

    /// The whole array straight into a tuple type, in one pass. Only for hot paths: on error
    /// call [`Arguments::split`] and [`Argument::decode`] to name the problem exactly.
    pub fn decode_tuple<T: Deserialize<'a>>(self, arity: usize) -> Option<T> {
        match self {
            Arguments::Json(raw) => serde_json::from_str(raw.get()).ok(),
            Arguments::MsgPack(args) if args.len() == arity => {
                msgpack::de::from_slice(args.raw()).ok()
            }
            Arguments::MsgPack(_) => None,
        }
    }

    /// The arguments as a JSON array: borrowed as they came for JSON, converted for MessagePack.
    pub fn to_json(self, target: &str) -> Result<Cow<'a, RawValue>, ArgumentError> {
        match self {
            Arguments::Json(raw) => Ok(Cow::Borrowed(raw)),
            Arguments::MsgPack(args) => Ok(Cow::Owned(json_of(target, args.raw())?)),
        }
    }
}

impl<'a> Argument<'a> {
    /// The argument straight into its typed struct (positionally from a MessagePack array).
    pub fn decode<T: Deserialize<'a>>(
        self,
        target: &str,
        index: usize,
    ) -> Result<T, ArgumentError> {
        let target = || target.to_owned();
        match self {
            Argument::Json(raw) => serde_json::from_str(raw.get())
                .map_err(|source| ArgumentError::Json { target: target(), index, source }),
            Argument::MsgPack(raw) => msgpack::de::from_slice(raw)
                .map_err(|source| ArgumentError::MsgPack { target: target(), index, source }),
        }
    }
}

/// MessagePack converted to JSON text; builds a value tree, so not for hot paths.
fn json_of(target: &str, raw: &[u8]) -> Result<Box<RawValue>, ArgumentError> {
    let bad = |source| ArgumentError::MsgPack { target: target.to_owned(), index: 0, source };
    let value = msgpack::to_json(raw).map_err(|e| bad(e.into()))?;
    serde_json::value::to_raw_value(&value).map_err(|e| bad(DeError::Custom(e.to_string())))
}

/// A nested value a consumer passes through untouched: the raw JSON as sent, or a MessagePack
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
