//! A borrowing cursor over MessagePack bytes (built on `rmp`'s primitive readers) that reads the
//! few shapes the hub protocol envelope needs and skips whole values without decoding them, so
//! arguments stay raw bytes. Also converts one value to JSON for the generic profile and tests;
//! that conversion builds a `serde_json::Value` and is not meant for the hot path.

use base64::Engine;
use rmp::decode::{self, Bytes, NumValueReadError, ValueReadError};
use rmp::Marker;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

/// The MessagePack timestamp extension type (.NET `DateTime`).
pub(super) const TIMESTAMP_EXT: i8 = -1;

/// Nesting accepted by [`to_json`]; it recurses, so hostile input must not run the stack out.
pub(super) const MAX_JSON_DEPTH: usize = 128;

/// A MessagePack value that is cut short or not the shape the protocol asks for.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("MessagePack value is truncated")]
    Truncated,
    #[error("expected a MessagePack {expected}, found {found:?}")]
    Unexpected { expected: &'static str, found: Marker },
    #[error("MessagePack integer out of range")]
    OutOfRange,
    #[error("MessagePack string is not UTF-8")]
    Utf8,
    #[error("MessagePack value nests deeper than {MAX_JSON_DEPTH}")]
    TooDeep,
    #[error("MessagePack timestamp is malformed or out of range")]
    Timestamp,
}

fn value_error(
    expected: &'static str,
    e: ValueReadError<decode::bytes::BytesReadError>,
) -> ValueError {
    match e {
        ValueReadError::TypeMismatch(found) => ValueError::Unexpected { expected, found },
        _ => ValueError::Truncated,
    }
}

fn num_error(e: NumValueReadError<decode::bytes::BytesReadError>) -> ValueError {
    match e {
        NumValueReadError::TypeMismatch(found) => ValueError::Unexpected { expected: "int", found },
        NumValueReadError::OutOfRange => ValueError::OutOfRange,
        _ => ValueError::Truncated,
    }
}

/// Reads values front to back, borrowing strings and raw values from the input.
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    bytes: Bytes<'a>,
}

impl<'a> Cursor<'a> {
    #[inline]
    pub fn new(input: &'a [u8]) -> Self {
        Cursor { bytes: Bytes::new(input) }
    }

    /// What is left after the values read so far.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.remaining_slice()
    }

    /// The marker of the next value, without consuming it.
    #[inline]
    pub fn peek(&self) -> Result<Marker, ValueError> {
        self.rest().first().map(|&b| Marker::from_u8(b)).ok_or(ValueError::Truncated)
    }

    #[inline]
    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], ValueError> {
        let rest = self.rest();
        if rest.len() < len {
            return Err(ValueError::Truncated);
        }
        let (taken, left) = rest.split_at(len);
        self.bytes = Bytes::new(left);
        Ok(taken)
    }

    #[inline]
    pub fn array_len(&mut self) -> Result<u32, ValueError> {
        decode::read_array_len(&mut self.bytes).map_err(|e| value_error("array", e))
    }

    #[inline]
    pub fn map_len(&mut self) -> Result<u32, ValueError> {
        decode::read_map_len(&mut self.bytes).map_err(|e| value_error("map", e))
    }

    /// An unsigned integer of any width.
    #[inline]
    pub fn uint(&mut self) -> Result<u64, ValueError> {
        decode::read_int(&mut self.bytes).map_err(num_error)
    }

    /// A signed integer of any width.
    #[inline]
    pub fn int(&mut self) -> Result<i64, ValueError> {
        decode::read_int(&mut self.bytes).map_err(num_error)
    }

    /// A float of either width. A 32-bit float becomes the double with its shortest decimal
    /// form (`1.1f32` reads as 1.1, not 1.100000023841858), the number a JSON writer would show.
    #[inline]
    pub fn float(&mut self) -> Result<f64, ValueError> {
        match self.peek()? {
            Marker::F32 => {
                decode::read_f32(&mut self.bytes).map(shortest).map_err(|e| value_error("f32", e))
            }
            _ => decode::read_f64(&mut self.bytes).map_err(|e| value_error("f64", e)),
        }
    }

    #[inline]
    pub fn bool(&mut self) -> Result<bool, ValueError> {
        decode::read_bool(&mut self.bytes).map_err(|e| value_error("bool", e))
    }

    #[inline]
    pub fn str(&mut self) -> Result<&'a str, ValueError> {
        let len = decode::read_str_len(&mut self.bytes).map_err(|e| value_error("string", e))?;
        std::str::from_utf8(self.take(len as usize)?).map_err(|_| ValueError::Utf8)
    }

    /// A string or nil.
    #[inline]
    pub fn opt_str(&mut self) -> Result<Option<&'a str>, ValueError> {
        if self.peek()? == Marker::Null {
            self.take(1)?;
            return Ok(None);
        }
        self.str().map(Some)
    }

    #[inline]
    pub(super) fn bin(&mut self) -> Result<&'a [u8], ValueError> {
        let len = decode::read_bin_len(&mut self.bytes).map_err(|e| value_error("bin", e))?;
        self.take(len as usize)
    }

    #[inline]
    pub(super) fn ext(&mut self) -> Result<(i8, &'a [u8]), ValueError> {
        let meta = decode::read_ext_meta(&mut self.bytes).map_err(|e| value_error("ext", e))?;
        Ok((meta.typeid, self.take(meta.size as usize)?))
    }

    /// Skips one whole value and returns its raw bytes. Iterative (a count of values still to
    /// skip), so nesting depth costs no stack; every step consumes input, so it always ends.
    pub fn skip(&mut self) -> Result<&'a [u8], ValueError> {
        let start = self.rest();
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            let marker = self.peek()?;
            match marker {
                Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                    pending += u64::from(self.array_len()?);
                }
                Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                    pending += 2 * u64::from(self.map_len()?);
                }
                Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                    let len = decode::read_str_len(&mut self.bytes)
                        .map_err(|e| value_error("string", e))?;
                    self.take(len as usize)?;
                }
                Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                    self.bin()?;
                }
                Marker::FixExt1
                | Marker::FixExt2
                | Marker::FixExt4
                | Marker::FixExt8
                | Marker::FixExt16
                | Marker::Ext8
                | Marker::Ext16
                | Marker::Ext32 => {
                    self.ext()?;
                }
                Marker::Reserved => {
                    return Err(ValueError::Unexpected { expected: "value", found: marker })
                }
                scalar => {
                    self.take(1 + scalar_data_len(scalar))?;
                }
            }
        }
        Ok(&start[..start.len() - self.rest().len()])
    }
}

/// Bytes after the marker for fixed-size values.
fn scalar_data_len(marker: Marker) -> usize {
    match marker {
        Marker::U8 | Marker::I8 => 1,
        Marker::U16 | Marker::I16 => 2,
        Marker::U32 | Marker::I32 | Marker::F32 => 4,
        Marker::U64 | Marker::I64 | Marker::F64 => 8,
        _ => 0,
    }
}

/// Converts one MessagePack value (extra bytes after it are ignored) to JSON: binary becomes
/// base64 (as ASP.NET Core's JSON protocol writes `byte[]`), the timestamp extension an RFC 3339
/// string, other extensions `{"ext":type,"data":base64}`, non-string scalar map keys their JSON
/// text; an array or map as a key is refused.
pub fn to_json(raw: &[u8]) -> Result<Value, ValueError> {
    json_value(&mut Cursor::new(raw), 0)
}

fn json_value(cur: &mut Cursor<'_>, depth: usize) -> Result<Value, ValueError> {
    if depth > MAX_JSON_DEPTH {
        return Err(ValueError::TooDeep);
    }
    let marker = cur.peek()?;
    Ok(match marker {
        Marker::Null => {
            cur.take(1)?;
            Value::Null
        }
        Marker::True | Marker::False => Value::Bool(cur.bool()?),
        Marker::FixPos(_) | Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => {
            Value::from(cur.uint()?)
        }
        Marker::FixNeg(_) | Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => {
            Value::from(decode::read_int::<i64, _>(&mut cur.bytes).map_err(num_error)?)
        }
        Marker::F32 | Marker::F64 => float(cur.float()?),
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => Value::from(cur.str()?),
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => Value::from(base64(cur.bin()?)),
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
            let len = cur.array_len()?;
            let items = (0..len).map(|_| json_value(cur, depth + 1));
            Value::Array(items.collect::<Result<_, _>>()?)
        }
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => json_map(cur, depth)?,
        Marker::Reserved => {
            return Err(ValueError::Unexpected { expected: "value", found: marker })
        }
        _ext => match cur.ext()? {
            (TIMESTAMP_EXT, data) => Value::from(timestamp(data)?),
            (kind, data) => serde_json::json!({ "ext": kind, "data": base64(data) }),
        },
    })
}

fn json_map(cur: &mut Cursor<'_>, depth: usize) -> Result<Value, ValueError> {
    let len = cur.map_len()?;
    let mut map = serde_json::Map::new();
    for _ in 0..len {
        // A key's JSON text is escaped again by every map key it sits in, doubling it per
        // level: maps nested in keys would let ~100 bytes of input demand 2^50 bytes of
        // output. Only scalars (and extensions) make keys.
        let marker = cur.peek()?;
        if matches!(
            marker,
            Marker::FixArray(_)
                | Marker::Array16
                | Marker::Array32
                | Marker::FixMap(_)
                | Marker::Map16
                | Marker::Map32
        ) {
            return Err(ValueError::Unexpected { expected: "scalar map key", found: marker });
        }
        let key = match json_value(cur, depth + 1)? {
            Value::String(key) => key,
            other => other.to_string(),
        };
        map.insert(key, json_value(cur, depth + 1)?);
    }
    Ok(Value::Object(map))
}

/// A 32-bit float as the double that prints the same; non-finite ones widen as they are.
fn shortest(f: f32) -> f64 {
    f.to_string().parse().unwrap_or(f64::from(f))
}

/// JSON has no NaN or infinity; they become null, as serde_json does.
fn float(f: impl Into<f64>) -> Value {
    serde_json::Number::from_f64(f.into()).map_or(Value::Null, Value::Number)
}

fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The three layouts of the timestamp extension: 32-bit seconds; 30-bit nanoseconds with
/// 34-bit seconds; 32-bit nanoseconds with signed 64-bit seconds.
pub(super) fn timestamp(data: &[u8]) -> Result<String, ValueError> {
    let (secs, nanos) = match data.len() {
        4 => (i64::from(be_u32(data)), 0),
        8 => {
            let packed = u64::from_be_bytes(data.try_into().map_err(|_| ValueError::Timestamp)?);
            ((packed & 0x3_ffff_ffff) as i64, (packed >> 34) as u32)
        }
        12 => {
            let secs = data[4..].try_into().map_err(|_| ValueError::Timestamp)?;
            (i64::from_be_bytes(secs), be_u32(&data[..4]))
        }
        _ => return Err(ValueError::Timestamp),
    };
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.replace_nanosecond(nanos).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or(ValueError::Timestamp)
}

fn be_u32(data: &[u8]) -> u32 {
    data.iter().take(4).fold(0, |acc, &b| (acc << 8) | u32::from(b))
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
