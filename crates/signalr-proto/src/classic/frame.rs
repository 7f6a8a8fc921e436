//! Classic server-to-client WebSocket frames, decoded into [`Frame`]s that borrow from the text
//! (hub arguments stay raw JSON), and the encoder for the client's hub invocations. Pure: no I/O.
//!
//! One JSON object per WebSocket text message. Which object it is depends on its keys: `{}` is
//! a keep-alive; a top-level `I` is an invocation result (results are not enveloped); anything
//! else is a persistent-response envelope. The same letters mean different things in each: a
//! top-level `S` is the init flag in an envelope but caller state in a result, `T` is the
//! shutdown flag in an envelope but a stack trace in a result.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One decoded frame.
#[derive(Debug)]
pub enum Frame<'a> {
    /// `{}`: liveness only.
    KeepAlive,
    /// A persistent-response envelope.
    Envelope(Envelope<'a>),
    /// The answer to one of the client's invocations.
    Result(HubResult<'a>),
    /// A progress update for one of the client's invocations (normally inside `M`).
    Progress(Progress<'a>),
    /// `{"Response":…}`: the body of `/start` (`started`) or `/ping` (`pong`).
    Response(Cow<'a, str>),
}

/// `{C?, S?, M?, G?, T?, E?, L?}`.
#[derive(Debug, Default)]
pub struct Envelope<'a> {
    /// `C`: the message cursor after this frame's messages.
    pub cursor: Option<Cow<'a, str>>,
    /// `S:1`: the init frame of a new connection; `/start` follows it.
    pub init: bool,
    /// `M`: present (maybe empty) on every data frame; absent means the cursor is not news.
    pub messages: Option<Vec<Item<'a>>>,
    /// `G`: a new signed groups token.
    pub groups_token: Option<Cow<'a, str>>,
    /// `T:1`: the server is shutting down; reconnect.
    pub shutting_down: bool,
    /// `E`: a connection-level error; disconnect.
    pub error: Option<Cow<'a, str>>,
    /// `D:1`: the server asks the client to disconnect (older servers; `E` in newer ones).
    pub disconnect: bool,
    /// `L`: long-poll delay in ms (long polling only; kept for completeness).
    pub long_poll_delay: Option<u64>,
}

/// One element of `M`.
#[derive(Debug)]
pub enum Item<'a> {
    /// `{H, M, A, S?}`: the server calls a client method.
    Invocation {
        hub: Cow<'a, str>,
        method: Cow<'a, str>,
        /// The argument array, raw.
        arguments: &'a RawValue,
        /// `S`: caller-state changes, if any.
        state: Option<&'a RawValue>,
    },
    /// `{I:"P|n", P:{I, D}}`.
    Progress(Progress<'a>),
}

/// Progress `D` for the client's invocation `I`.
#[derive(Debug)]
pub struct Progress<'a> {
    pub id: Cow<'a, str>,
    pub data: Option<&'a RawValue>,
}

/// `{I, R?, E?, H?, D?, T?, S?}`.
#[derive(Debug)]
pub struct HubResult<'a> {
    /// The callback id the client sent.
    pub id: Cow<'a, str>,
    /// `Ok(None)` is a void result; `Err` the error text.
    pub outcome: Result<Option<&'a RawValue>, Cow<'a, str>>,
    /// `H:true`: the error came from a `HubException` (the hub meant it).
    pub hub_exception: bool,
    /// `D`: `HubException.ErrorData`.
    pub error_data: Option<&'a RawValue>,
}

/// A frame that is not valid under the protocol.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("not a JSON object: {0}")]
    Json(#[from] serde_json::Error),
    #[error("`{0}` has the wrong type")]
    Type(&'static str),
    #[error("message {index} of `M` is neither an invocation nor a progress update")]
    Item { index: usize },
    #[error("`A` of {hub}.{method} is not an array")]
    ArgumentsNotArray { hub: String, method: String },
}

impl FrameError {
    /// A bounded label for the decode-errors metric.
    pub fn reason(&self) -> &'static str {
        match self {
            FrameError::Json(e) => crate::json_error_reason(e),
            FrameError::Type(_) => "field_type",
            FrameError::Item { .. } => "unknown_item",
            FrameError::ArgumentsNotArray { .. } => "arguments_not_array",
        }
    }
}

/// Every key either shape may carry; each shape reads its own.
#[derive(Deserialize)]
struct RawFrame<'a> {
    #[serde(borrow, rename = "C")]
    c: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "S")]
    s: Option<&'a RawValue>,
    #[serde(borrow, rename = "M")]
    m: Option<Vec<RawItem<'a>>>,
    #[serde(borrow, rename = "G")]
    g: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "T")]
    t: Option<&'a RawValue>,
    #[serde(borrow, rename = "E")]
    e: Option<Cow<'a, str>>,
    #[serde(rename = "L")]
    l: Option<u64>,
    #[serde(borrow, rename = "I")]
    i: Option<&'a RawValue>,
    #[serde(borrow, rename = "R")]
    r: Option<&'a RawValue>,
    #[serde(rename = "H")]
    h: Option<bool>,
    #[serde(borrow, rename = "D")]
    d: Option<&'a RawValue>,
    #[serde(borrow, rename = "P")]
    p: Option<RawProgress<'a>>,
    #[serde(borrow, rename = "Response")]
    response: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawItem<'a> {
    #[serde(borrow, rename = "H")]
    h: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "M")]
    m: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "A")]
    a: Option<&'a RawValue>,
    #[serde(borrow, rename = "S")]
    s: Option<&'a RawValue>,
    #[serde(borrow, rename = "P")]
    p: Option<RawProgress<'a>>,
}

#[derive(Deserialize)]
struct RawProgress<'a> {
    #[serde(borrow, rename = "I")]
    i: &'a RawValue,
    #[serde(borrow, rename = "D")]
    d: Option<&'a RawValue>,
}

/// Decodes one WebSocket text message.
pub fn parse_frame(text: &str) -> Result<Frame<'_>, FrameError> {
    let raw: RawFrame<'_> = serde_json::from_str(text)?;
    // Progress before results: a progress update also carries an `I` ("P|n").
    if let Some(p) = raw.p {
        return Ok(Frame::Progress(progress(p)?));
    }
    if let Some(id) = raw.i {
        let id = id_text(id).ok_or(FrameError::Type("I"))?;
        let outcome = match raw.e {
            Some(error) => Err(error),
            None => Ok(raw.r.filter(|r| r.get() != "null")),
        };
        let hub_exception = raw.h.unwrap_or(false);
        return Ok(Frame::Result(HubResult { id, outcome, hub_exception, error_data: raw.d }));
    }
    if let Some(response) = raw.response {
        return Ok(Frame::Response(response));
    }
    let messages = match raw.m {
        Some(items) => Some(items.into_iter().enumerate().map(item).collect::<Result<_, _>>()?),
        None => None,
    };
    let envelope = Envelope {
        cursor: raw.c,
        init: flag(raw.s, "S")?,
        messages,
        groups_token: raw.g,
        shutting_down: flag(raw.t, "T")?,
        error: raw.e,
        disconnect: flag(raw.d, "D")?,
        long_poll_delay: raw.l,
    };
    let empty = envelope.cursor.is_none()
        && envelope.messages.is_none()
        && envelope.groups_token.is_none()
        && envelope.error.is_none()
        && !envelope.init
        && !envelope.shutting_down
        && !envelope.disconnect;
    Ok(if empty { Frame::KeepAlive } else { Frame::Envelope(envelope) })
}

fn item((index, raw): (usize, RawItem<'_>)) -> Result<Item<'_>, FrameError> {
    if let Some(p) = raw.p {
        return Ok(Item::Progress(progress(p)?));
    }
    let (Some(hub), Some(method), Some(arguments)) = (raw.h, raw.m, raw.a) else {
        return Err(FrameError::Item { index });
    };
    if !arguments.get().starts_with('[') {
        let (hub, method) = (hub.into_owned(), method.into_owned());
        return Err(FrameError::ArgumentsNotArray { hub, method });
    }
    Ok(Item::Invocation { hub, method, arguments, state: raw.s })
}

fn progress(raw: RawProgress<'_>) -> Result<Progress<'_>, FrameError> {
    let id = id_text(raw.i).ok_or(FrameError::Type("P.I"))?;
    Ok(Progress { id, data: raw.d })
}

/// A callback id: servers write strings; a number is accepted too (the JS client sends them).
fn id_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str(text).ok()
    } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        Some(Cow::Borrowed(text))
    } else {
        None
    }
}

/// `1`/`true` set, absent/`0`/`false`/`null` clear; anything else is an error.
fn flag(raw: Option<&RawValue>, name: &'static str) -> Result<bool, FrameError> {
    match raw.map(RawValue::get) {
        None | Some("0" | "false" | "null") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(_) => Err(FrameError::Type(name)),
    }
}

/// `{"H":hub,"M":method,"A":[…],"I":"id"}`: a client-to-server hub invocation.
pub fn invocation(id: u64, hub: &str, method: &str, arguments: &[serde_json::Value]) -> String {
    #[derive(Serialize)]
    struct Call<'a> {
        #[serde(rename = "H")]
        hub: &'a str,
        #[serde(rename = "M")]
        method: &'a str,
        #[serde(rename = "A")]
        arguments: &'a [serde_json::Value],
        #[serde(rename = "I")]
        id: String,
    }
    let call = Call { hub, method, arguments, id: id.to_string() };
    serde_json::to_string(&call).unwrap_or_default()
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
