//! What a connection does with each decoded client record: hub calls and their Completions,
//! Ping, Close. Part of the connection task; it writes only through `Conn::send`.

use super::{Conn, Flow};
use crate::simulate::frame::{self, ClientMessage};
use crate::simulate::hub::{self, HubCall};
use crate::simulate::state::{lock, ConnHandle};

impl Conn {
    pub(super) async fn on_records(&mut self, handle: &ConnHandle, records: Vec<String>) -> Flow {
        for record in records {
            let flow = match frame::parse_record(&record) {
                Ok(message) => self.on_message(handle, message).await,
                Err(error) => {
                    tracing::debug!(%error, "Simulator got a malformed record.");
                    self.protocol_error().await
                }
            };
            if !matches!(flow, Flow::Continue) {
                return flow;
            }
        }
        Flow::Continue
    }

    async fn on_message(&mut self, handle: &ConnHandle, message: ClientMessage<'_>) -> Flow {
        match message {
            ClientMessage::Invocation { invocation_id, target, arguments } => {
                let outcome = hub::bind(&target, &arguments);
                if let Ok(call) = &outcome {
                    apply(handle, call.clone());
                }
                // Recorded after the join, so a test that waits for this invocation and then
                // broadcasts cannot beat the group membership.
                let joined: Vec<&str> = arguments.iter().map(|a| a.get()).collect();
                self.shared.record_invocation(&target, format!("[{}]", joined.join(",")));
                match (invocation_id, outcome) {
                    (None, _) => Flow::Continue,
                    (Some(id), Ok(_)) => self.send_flow(frame::completion_ok(&id)).await,
                    (Some(id), Err(e)) => self.send_flow(frame::completion_error(&id, &e)).await,
                }
            }
            ClientMessage::StreamInvocation { invocation_id, target } => {
                self.shared.record_invocation(&target, String::from("[]"));
                let error = format!(
                    "The client attempted to invoke the non-streaming '{target}' method with a \
                     streaming invocation."
                );
                self.send_flow(frame::completion_error(&invocation_id, &error)).await
            }
            ClientMessage::Ping => {
                self.client_timeout_active = true;
                Flow::Continue
            }
            ClientMessage::Close => Flow::Close,
            ClientMessage::Ignored(kind) => {
                tracing::trace!(kind, "Simulator ignored a record type it does not act on.");
                Flow::Continue
            }
        }
    }
}

/// Applies a hub call to the connection's groups.
fn apply(handle: &ConnHandle, call: HubCall) {
    let mut groups = lock(&handle.groups);
    match call {
        HubCall::Join(group) => {
            groups.insert(group);
        }
        HubCall::Leave(group) => {
            groups.remove(&group);
        }
        HubCall::Nothing => {}
    }
}
