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
        out.push(invocation_event(ctx, 0, target, arguments));
        Ok(())
    }
}

/// The generic event for an invocation; also what other profiles publish for targets they do
/// not know, so nothing is dropped silently.
pub fn invocation_event(
    ctx: &MessageContext,
    index: usize,
    target: &str,
    arguments: &RawValue,
) -> Event {
    let data = InvocationData { hub: &ctx.hub, target, arguments };
    let data = serde_json::value::to_raw_value(&data).expect("borrowed JSON serializes");
    ctx.event(
        index,
        EventType::GenericInvocation,
        format!("targets/{target}"),
        ctx.hub.to_string(),
        data,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::WireId;

    #[test]
    fn normalize_passes_arguments_through() {
        let ctx = MessageContext {
            hub: "h".into(),
            source: "urn:test".into(),
            wire: WireId { connection: "c".into(), record: 3 },
            received: time::OffsetDateTime::UNIX_EPOCH,
        };
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
}
