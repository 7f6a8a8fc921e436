//! Hub methods the classic simulator serves: `BeginListen(jobId)` on `JobEventHub` and
//! `TaskEventHub`, with the real server's error texts for unknown hubs, unknown methods and
//! wrong arity. Pure over a session; the socket task sends what it returns.

use super::session::Session;
use super::state::{group, Invocation};
use super::wire::{ClientInvocation, HubResult};

/// What one client message leads to: frames to send (a `G` frame, then the bare result) and
/// the invocation to log.
#[derive(Debug, Default)]
pub struct Outcome {
    pub frames: Vec<String>,
    pub logged: Option<Invocation>,
}

/// Handles one text message from the client.
pub fn handle(session: &Session, text: &str) -> Outcome {
    let trimmed = text.trim();
    // Some clients send `{}` as their own keep-alive; the real server ignores it.
    if trimmed.is_empty() || trimmed == "{}" {
        return Outcome::default();
    }
    let Some(call) = ClientInvocation::parse(trimmed) else {
        tracing::debug!("Classic simulator ignored a message that is not a hub invocation.");
        return Outcome::default();
    };
    let hub = session.hubs.iter().copied().find(|h| h.eq_ignore_ascii_case(&call.hub));
    let logged = (hub.unwrap_or(&call.hub).to_string(), call.method.clone(), call.arguments_json());
    let mut frames = Vec::new();
    let error = match hub.map(|hub| (hub, bind(&call))) {
        None => Some(format!("'{}' Hub could not be resolved.", call.hub)),
        Some((hub, Ok(job))) => {
            frames.extend(session.join(group(hub, job)));
            None
        }
        Some((_, Err(Some(text)))) => Some(text),
        Some((_, Err(None))) => {
            Some(format!("There was an error invoking Hub method '{}.{}'.", call.hub, call.method))
        }
    };
    frames.push(HubResult { id: &call.id, error: error.as_deref() }.to_json());
    Outcome { frames, logged: Some(logged) }
}

/// Binds the call to `BeginListen(int jobId)`, returning the job. `Err(Some(text))` is a resolution error
/// with its own text; `Err(None)` a binding failure that gets the generic text.
fn bind(call: &ClientInvocation) -> Result<u32, Option<String>> {
    if !call.method.eq_ignore_ascii_case("BeginListen") {
        return Err(Some(format!("'{}' method could not be resolved.", call.method)));
    }
    if call.arguments.len() != 1 {
        return Err(Some(format!(
            "'{}' method could not be resolved. Potential candidates are: \nBeginListen(jobId:Int32):Void",
            call.method
        )));
    }
    // Int32 binding; HPC job ids are positive.
    match serde_json::from_str::<i32>(call.arguments[0].get()) {
        Ok(job) if job > 0 => Ok(job.unsigned_abs()),
        _ => Err(None),
    }
}
