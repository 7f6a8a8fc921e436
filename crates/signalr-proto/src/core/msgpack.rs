//! The ASP.NET Core SignalR MessagePack hub protocol: VarInt length-prefixed records across
//! binary WebSocket frames, decoded into the same [`HubMessage`]s as JSON records, borrowing
//! from the frame (strings as they are, arguments as raw MessagePack a profile decodes
//! positionally), and encoders for what the client sends. Pure: no I/O. The handshake stays
//! JSON (see [`split_handshake`]).

use std::borrow::Cow;

pub mod de;
mod encode;
pub mod value;

pub use encode::{
    ack, framed, handshake_request, invocation, json_value, no_result_completion, sequence,
    server_invocation, CLOSE, PING,
};
pub use value::{to_json, ValueError};

use value::Cursor;

use super::arguments::{Argument, Arguments as Args};
use super::message::{HubMessage, RecordError};

/// Largest record accepted; its prefix is checked before the body arrives, so a broken or
/// hostile peer cannot make the buffer grow past this.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// The handshake response is JSON ended by this separator, even under MessagePack.
const RS: u8 = 0x1e;

/// The arguments array of an Invocation, checked to hold `len` whole values, kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arguments<'a> {
    raw: &'a [u8],
    len: u32,
}

impl<'a> Arguments<'a> {
    /// The whole array, header included.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each argument's raw MessagePack bytes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> {
        let mut cur = Cursor::new(self.raw);
        // Checked when decoded, so neither read can fail here; `ok()` keeps it panic-free.
        let len = cur.array_len().unwrap_or(0);
        (0..len).map_while(move |_| cur.skip().ok())
    }
}

/// Decodes one record body (without its length prefix). Items past the ones this protocol
/// version defines are ignored, as are bytes after the array: future versions may add them.
pub fn parse_record(body: &[u8]) -> Result<HubMessage<'_>, RecordError> {
    let mut cur = Cursor::new(body);
    let items = cur.array_len()?;
    if items == 0 {
        return Err(RecordError::TooFewItems { kind: 0, items });
    }
    let kind = cur.uint()?;
    let need = |n: u32| match items >= n {
        true => Ok(()),
        false => Err(RecordError::TooFewItems { kind, items }),
    };
    Ok(match kind {
        1 => {
            need(5)?;
            parse_invocation(&mut cur, items)?
        }
        2 => {
            need(4)?;
            skip_headers(&mut cur)?;
            HubMessage::StreamItem { invocation_id: Cow::Borrowed(cur.str()?) }
        }
        3 => {
            need(4)?;
            parse_completion(&mut cur, items)?
        }
        6 => HubMessage::Ping,
        7 => {
            need(2)?;
            let error = cur.opt_str()?.map(Cow::Borrowed);
            let allow_reconnect = if items >= 3 { cur.bool()? } else { false };
            HubMessage::Close { error, allow_reconnect }
        }
        8 => {
            need(2)?;
            HubMessage::Ack(cur.uint()?)
        }
        9 => {
            need(2)?;
            HubMessage::Sequence(cur.uint()?)
        }
        other => HubMessage::Unknown(other),
    })
}

/// `[1, Headers, InvocationId|nil, Target, [Args], [StreamIds]?]`.
fn parse_invocation<'a>(cur: &mut Cursor<'a>, items: u32) -> Result<HubMessage<'a>, RecordError> {
    skip_headers(cur)?;
    // The .NET reader treats an empty id like nil: no answer expected.
    let invocation_id = cur.opt_str()?.filter(|id| !id.is_empty()).map(Cow::Borrowed);
    let target = Cow::Borrowed(cur.str()?);
    let raw = cur.rest();
    let len = cur.array_len()?;
    for _ in 0..len {
        cur.skip()?;
    }
    let arguments = Arguments { raw: &raw[..raw.len() - cur.rest().len()], len };
    if items >= 6 {
        // Stream ids only matter to a server; checked whole so a cut record is not accepted.
        cur.skip()?;
    }
    Ok(HubMessage::Invocation { invocation_id, target, arguments: Args::MsgPack(arguments) })
}

/// `[3, Headers, InvocationId, ResultKind, Result?]`: 1 = error string, 2 = void, 3 = value.
fn parse_completion<'a>(cur: &mut Cursor<'a>, items: u32) -> Result<HubMessage<'a>, RecordError> {
    skip_headers(cur)?;
    let invocation_id = Cow::Borrowed(cur.str()?);
    let result_kind = cur.uint()?;
    let with_result = || match items >= 5 {
        true => Ok(()),
        false => Err(RecordError::TooFewItems { kind: 3, items }),
    };
    let result = match result_kind {
        1 => {
            with_result()?;
            Err(Cow::Borrowed(cur.str()?))
        }
        2 => Ok(None),
        3 => {
            with_result()?;
            Ok(Some(Argument::MsgPack(cur.skip()?)))
        }
        other => return Err(RecordError::ResultKind(other)),
    };
    Ok(HubMessage::Completion { invocation_id, result })
}

/// Headers are a string→string map; checked, not kept: nothing downstream reads them.
fn skip_headers(cur: &mut Cursor<'_>) -> Result<(), ValueError> {
    let len = cur.map_len()?;
    for _ in 0..len {
        cur.str()?;
        cur.str()?;
    }
    Ok(())
}

/// A length prefix that is not a valid VarInt, or announces a record too large to accept.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("record length prefix is longer than 5 bytes or exceeds 2^31-1")]
    BadPrefix,
    #[error("record of {len} bytes exceeds the {MAX_RECORD_BYTES}-byte limit")]
    TooLarge { len: usize },
}

/// Reads a VarInt length prefix (7 bits a byte, least significant group first). `Ok(None)`
/// means the prefix itself is still incomplete.
pub fn read_length(data: &[u8]) -> Result<Option<(usize, usize)>, FrameError> {
    let mut len: u32 = 0;
    for (i, &byte) in data.iter().enumerate().take(5) {
        // The fifth byte may only carry the top bit group of a 31-bit length.
        if i == 4 && byte > 0x07 {
            return Err(FrameError::BadPrefix);
        }
        len |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((len as usize, i + 1)));
        }
    }
    Ok(None)
}

/// Splits binary WebSocket data into record bodies, keeping a partial record (or partial
/// prefix) in `pending` until the next frame completes it. Calls `each` with every complete
/// body, prefix removed. On error `pending` is cleared: the stream cannot be resynchronised,
/// so the caller should drop the connection.
pub fn split_records(
    pending: &mut Vec<u8>,
    data: &[u8],
    mut each: impl FnMut(&[u8]),
) -> Result<(), FrameError> {
    let input: &[u8] = if pending.is_empty() {
        data
    } else {
        pending.extend_from_slice(data);
        pending.as_slice()
    };
    let mut start = 0;
    let outcome = loop {
        let Some((len, prefix)) = (match read_length(&input[start..]) {
            Ok(found) => found,
            Err(e) => break Err(e),
        }) else {
            break Ok(());
        };
        if len > MAX_RECORD_BYTES {
            break Err(FrameError::TooLarge { len });
        }
        let body = start + prefix;
        if input.len() - body < len {
            break Ok(());
        }
        each(&input[body..body + len]);
        start = body + len;
    };
    if outcome.is_err() {
        pending.clear();
    } else if pending.is_empty() {
        pending.extend_from_slice(&data[start..]);
    } else {
        pending.drain(..start);
    }
    outcome
}

/// Splits the JSON handshake response (separator removed) off the front of the first binary
/// data; the rest, possibly empty, already belongs to [`split_records`]. `None` until the
/// separator has arrived. Check the record with `json::parse_handshake_response`.
pub fn split_handshake(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr(RS, data)?;
    Some((&data[..end], &data[end + 1..]))
}

#[cfg(test)]
#[path = "msgpack_tests.rs"]
mod tests;
