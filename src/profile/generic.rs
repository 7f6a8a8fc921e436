//! The generic profile: any invocation becomes an `io.signalr_bridge.hub.invocation.v1` event
//! whose data holds the target and the raw argument JSON, untouched.

use serde::Serialize;
use serde_json::value::RawValue;

use super::{DecodeError, MessageContext};
use crate::event::{Event, EventType};

/// Passes every invocation through.
#[derive(Debug, Clone, Copy, Default)]
pub struct Generic;

#[derive(Serialize)]
struct InvocationData<'a> {
    hub: &'a str,
    target: &'a str,
    arguments: &'a RawValue,
}

impl Generic {
    pub fn normalize(
        &self,
        ctx: &MessageContext,
        target: &str,
        arguments: &RawValue,
        out: &mut Vec<Event>,
    ) -> Result<(), DecodeError> {
        out.push(invocation_event(ctx, 0, target, arguments)?);
        Ok(())
    }
}

/// How deep passed-through JSON may nest: serde_json's own limit for the typed decoders, so every
/// path refuses the same input, and consumers of the event are spared what they would choke on.
pub const MAX_DEPTH: usize = 128;

/// Whether `json` (valid JSON) nests deeper than [`MAX_DEPTH`]; iterative, one pass.
fn too_deep(json: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The generic event for an invocation; also what other profiles publish for targets they do
/// not know, so nothing is dropped silently.
pub fn invocation_event(
    ctx: &MessageContext,
    index: usize,
    target: &str,
    arguments: &RawValue,
) -> Result<Event, DecodeError> {
    if too_deep(arguments.get()) {
        return Err(DecodeError::TooDeep { target: target.to_owned(), limit: MAX_DEPTH });
    }
    let data = InvocationData { hub: &ctx.hub, target, arguments };
    let data = serde_json::value::to_raw_value(&data).expect("borrowed JSON serializes");
    Ok(ctx.event(
        index,
        EventType::GenericInvocation,
        format!("targets/{target}"),
        ctx.hub.to_string(),
        data,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::WireId;

    fn ctx(record: u64) -> MessageContext {
        MessageContext {
            hub: "h".into(),
            source: "urn:test".into(),
            wire: WireId { connection: "c".into(), record },
            received: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn normalize_passes_arguments_through() {
        let ctx = ctx(3);
        let args = RawValue::from_string(r#"[42, "x", {"a": [1]}]"#.into()).unwrap();
        let mut out = Vec::new();
        Generic.normalize(&ctx, "Send", &args, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id, "c:3");
        assert_eq!(out[0].subject, "targets/Send");
        let data: serde_json::Value = serde_json::from_str(out[0].data.get()).unwrap();
        assert_eq!(data["arguments"], serde_json::json!([42, "x", {"a": [1]}]));
        assert_eq!(data["target"], "Send");
    }

    #[test]
    fn nesting_past_the_limit_is_refused_iteratively() {
        let ctx = ctx(1);
        let nest = |n: usize| format!("[{}\"[[{{\\\"\"{}]", "[".repeat(n), "]".repeat(n));
        let mut out = Vec::new();
        let fine = RawValue::from_string(nest(MAX_DEPTH - 1)).unwrap();
        Generic.normalize(&ctx, "Send", &fine, &mut out).unwrap();
        for n in [MAX_DEPTH, 100_000] {
            // serde_json's RawValue skips nesting without a limit; the pass-through must not.
            let deep: Box<RawValue> = serde_json::from_str(&nest(n)).unwrap();
            let error = Generic.normalize(&ctx, "Send", &deep, &mut out).unwrap_err();
            assert_eq!(error.reason(), "too_deep");
        }
        assert_eq!(out.len(), 1);
    }
}
