//! A serde `Deserializer` over raw MessagePack, so a hub argument decodes straight into the same
//! typed structs as its JSON twin, with no intermediate value tree. Positional arrays (.NET
//! `[Key(n)]` models) fill a struct's fields in declaration order: missing trailing items take
//! the fields' defaults, extra trailing items are skipped, so a server that adds keys does not
//! break the bridge. Decoding only; what the structs mean is the profiles' business.

use std::fmt;

use rmp::Marker;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Deserialize;

use super::value::{self, Cursor, ValueError, MAX_JSON_DEPTH, TIMESTAMP_EXT};

/// The newtype-struct name that asks for a whole value's raw bytes (`visit_borrowed_bytes`)
/// instead of a decoded value: how a profile keeps a nested value it passes through as is.
pub const RAW_VALUE: &str = "$signalr_bridge::msgpack::RawValue";

/// A value that does not fit the type asked for.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum DeError {
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error("{0}")]
    Custom(String),
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }
}

/// Decodes one value (bytes after it are ignored) into `T`, borrowing strings from `raw`.
pub fn from_slice<'a, T: Deserialize<'a>>(raw: &'a [u8]) -> Result<T, DeError> {
    T::deserialize(&mut Deserializer { cur: Cursor::new(raw), depth: 0 })
}

struct Deserializer<'a> {
    cur: Cursor<'a>,
    depth: usize,
}

impl<'a> Deserializer<'a> {
    fn nest(&mut self) -> Result<(), DeError> {
        self.depth += 1;
        match self.depth > MAX_JSON_DEPTH {
            true => Err(ValueError::TooDeep.into()),
            false => Ok(()),
        }
    }

    fn seq<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        let left = self.cur.array_len()?;
        self.nest()?;
        let mut seq = Items { de: self, left };
        let value = visitor.visit_seq(&mut seq)?;
        // Items the type has no field for: a newer server's additions.
        for _ in 0..seq.left {
            self.cur.skip()?;
        }
        self.depth -= 1;
        Ok(value)
    }

    fn map<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        let left = self.cur.map_len()?;
        self.nest()?;
        let mut map = Entries { de: self, left };
        let value = visitor.visit_map(&mut map)?;
        for _ in 0..map.left {
            self.cur.skip()?;
            self.cur.skip()?;
        }
        self.depth -= 1;
        Ok(value)
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let marker = self.cur.peek()?;
        match marker {
            Marker::Null => {
                self.cur.take(1)?;
                visitor.visit_unit()
            }
            Marker::True | Marker::False => visitor.visit_bool(self.cur.bool()?),
            Marker::FixPos(_) | Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => {
                visitor.visit_u64(self.cur.uint()?)
            }
            Marker::FixNeg(_) | Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => {
                visitor.visit_i64(self.cur.int()?)
            }
            Marker::F32 | Marker::F64 => visitor.visit_f64(self.cur.float()?),
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                visitor.visit_borrowed_str(self.cur.str()?)
            }
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                visitor.visit_borrowed_bytes(self.cur.bin()?)
            }
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => self.seq(visitor),
            Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => self.map(visitor),
            Marker::Reserved => {
                Err(ValueError::Unexpected { expected: "value", found: marker }.into())
            }
            // .NET `DateTime`: the same RFC 3339 text a JSON server would write.
            _ext => match self.cur.ext()? {
                (TIMESTAMP_EXT, data) => visitor.visit_string(value::timestamp(data)?),
                (_, data) => visitor.visit_borrowed_bytes(data),
            },
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.cur.peek()? == Marker::Null {
            self.cur.take(1)?;
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == RAW_VALUE {
            return visitor.visit_borrowed_bytes(self.cur.skip()?);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Skipping is iterative: an unknown deep value costs no stack.
        self.cur.skip()?;
        visitor.visit_unit()
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Unit variants only: an enum arrives as its name (or number, via `deserialize_any`).
        match self.cur.peek()? {
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                visitor.visit_enum(self.cur.str()?.into_deserializer())
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn is_human_readable(&self) -> bool {
        false
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The items of one array; counts what the visitor left unread.
struct Items<'d, 'de> {
    de: &'d mut Deserializer<'de>,
    left: u32,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        // Capped: the count is the peer's claim, not bytes already read.
        Some((self.left as usize).min(64))
    }
}

/// The entries of one map.
struct Entries<'d, 'de> {
    de: &'d mut Deserializer<'de>,
    left: u32,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        seed.deserialize(&mut *self.de)
    }
}

#[cfg(test)]
#[path = "de_tests.rs"]
mod tests;
