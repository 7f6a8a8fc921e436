//! What both dialects do with a decoded invocation: normalize it into events, counting what
//! must be counted. No socket reading or frame decoding here; events go on through the
//! hub's [`super::outbox::Outbox`].

use super::Hub;
use crate::event::{Event, WireId};
use crate::profile::{Args, MessageContext, Normalized};

/// Normalizes one server invocation into `events`; on bad input nothing is kept for it and the
/// error is counted. Returns true when the profile asks for fresh snapshots.
pub fn invocation(
    hub: &Hub,
    wire: WireId,
    classic_hub: Option<&str>,
    target: &str,
    arguments: Args<'_>,
    events: &mut Vec<Event>,
) -> bool {
    let named = hub.out.invocation(target);
    let ctx = MessageContext {
        hub: hub.spec.name.clone(),
        source: hub.spec.source.clone(),
        wire,
        received: time::OffsetDateTime::now_utc(),
    };
    let before = events.len();
    match hub.spec.profile.normalize_args(&ctx, classic_hub, target, arguments, events) {
        Ok(Normalized::Known) => {}
        Ok(Normalized::UnknownTarget) => hub.report.unknown_target(target, named),
        Ok(Normalized::RefreshSnapshots) => return true,
        Ok(Normalized::UnknownState(state)) => hub.report.unknown_state(&state),
        Err(e) => {
            events.truncate(before);
            hub.report.decode_error(e.reason(), &e);
        }
    }
    false
}
