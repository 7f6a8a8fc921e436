//! What a connection does with each decoded client record, in either hub protocol: hub calls
//! and their Completions, Ping, Close; and how a record is framed in the connection's protocol.
//! Part of the connection task; it writes only through `Conn::send_message`.

use axum::extract::ws::Message;
use serde_json::value::RawValue;
use signalr_proto::core::HubProtocol;
use signalr_proto::core::{msgpack, Arguments, HubMessage};

use super::{Conn, Flow};
use crate::frame::{self, ClientMessage};
use crate::hub::{self, HubCall};
use crate::state::{lock, ConnHandle};

impl Conn {
    pub(super) async fn on_records(&mut self, handle: &ConnHandle, records: Vec<String>) -> Flow {
        for record in records {
            let flow = match frame::parse_record(&record) {
                Ok(message) => match self.admit(message.kind(), sequence_id(&message)) {
                    Ok(true) => self.on_message(handle, message).await,
                    Ok(false) => Flow::Continue,
                    Err(()) => self.protocol_error().await,
                },
                Err(error) => {
                    tracing::debug!(%error, "Simulator got a malformed record.");
                    self.protocol_error().await
                }
            };
            if !matches!(flow, Flow::Continue) {
                return flow;
            }
        }
        self.send_ack().await
    }

    /// MessagePack records: arguments are converted to JSON so one hub binder serves both.
    pub(super) async fn on_msgpack_records(
        &mut self,
        handle: &ConnHandle,
        bodies: Vec<Vec<u8>>,
    ) -> Flow {
        for body in bodies {
            let message = msgpack::parse_record(&body);
            if let Ok(m) = &message {
                let sequence_id = match m {
                    HubMessage::Ack(id) | HubMessage::Sequence(id) => Some(*id),
                    _ => None,
                };
                match self.admit(m.kind(), sequence_id) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(()) => return self.protocol_error().await,
                }
            }
            let flow = match message {
                Ok(HubMessage::Invocation {
                    invocation_id,
                    target,
                    arguments: Arguments::MsgPack(arguments),
                }) => match arguments.iter().map(json_argument).collect::<Option<Vec<_>>>() {
                    Some(json) => {
                        let refs: Vec<&RawValue> = json.iter().map(|a| &**a).collect();
                        let id = invocation_id.map(|id| id.into_owned());
                        self.on_invocation(handle, id, &target, &refs).await
                    }
                    None => self.protocol_error().await,
                },
                Ok(HubMessage::Ping) => self.on_message(handle, ClientMessage::Ping).await,
                Ok(HubMessage::Close { .. }) => Flow::Close,
                Ok(_) => Flow::Continue,
                Err(error) => {
                    tracing::debug!(%error, "Simulator got a malformed MessagePack record.");
                    self.protocol_error().await
                }
            };
            if !matches!(flow, Flow::Continue) {
                return flow;
            }
        }
        self.send_ack().await
    }

    async fn on_message(&mut self, handle: &ConnHandle, message: ClientMessage<'_>) -> Flow {
        match message {
            ClientMessage::Invocation { invocation_id, target, arguments } => {
                self.on_invocation(handle, invocation_id, &target, &arguments).await
            }
            ClientMessage::StreamInvocation { invocation_id, target } => {
                self.shared.record_invocation(&target, String::from("[]"));
                let error = format!(
                    "The client attempted to invoke the non-streaming '{target}' method with a \
                     streaming invocation."
                );
                let text = frame::completion_error(&invocation_id, &error);
                self.send_tracked(Message::Text(text.into())).await
            }
            ClientMessage::Ping => {
                self.client_timeout_active = true;
                Flow::Continue
            }
            ClientMessage::Close => Flow::Close,
            // Handled when admitted.
            ClientMessage::Ack(_) | ClientMessage::Sequence(_) => Flow::Continue,
            ClientMessage::Ignored(kind) => {
                tracing::trace!(kind, "Simulator ignored a record type it does not act on.");
                Flow::Continue
            }
        }
    }

    /// A record in the connection's protocol: text frames for JSON, binary for MessagePack.
    pub(super) fn message(
        &self,
        json: impl FnOnce() -> String,
        msgpack: impl FnOnce() -> Vec<u8>,
    ) -> Message {
        match self.protocol {
            HubProtocol::Json => Message::Text(json().into()),
            HubProtocol::MessagePack => Message::Binary(msgpack().into()),
        }
    }

    pub(super) fn close_record(&self, error: Option<&str>, allow_reconnect: bool) -> Message {
        self.message(
            || frame::close_record(error, allow_reconnect),
            || frame::msgpack::close_record(error, allow_reconnect),
        )
    }

    async fn on_invocation(
        &mut self,
        handle: &ConnHandle,
        invocation_id: Option<String>,
        target: &str,
        arguments: &[&RawValue],
    ) -> Flow {
        let outcome = hub::bind(target, arguments);
        if let Ok(call) = &outcome {
            apply(handle, call.clone());
        }
        // Recorded after the join, so a test that waits for this invocation and then
        // broadcasts cannot beat the group membership.
        let joined: Vec<&str> = arguments.iter().map(|a| a.get()).collect();
        self.shared.record_invocation(target, format!("[{}]", joined.join(",")));
        let Some(id) = invocation_id else { return Flow::Continue };
        let completion = match &outcome {
            Ok(_) => {
                self.message(|| frame::completion_ok(&id), || frame::msgpack::completion_ok(&id))
            }
            Err(e) => self.message(
                || frame::completion_error(&id, e),
                || frame::msgpack::completion_error(&id, e),
            ),
        };
        self.send_tracked(completion).await
    }
}

fn sequence_id(message: &ClientMessage<'_>) -> Option<u64> {
    match message {
        ClientMessage::Ack(id) | ClientMessage::Sequence(id) => Some(*id),
        _ => None,
    }
}

/// One MessagePack argument as JSON; None when it is not valid MessagePack.
fn json_argument(raw: &[u8]) -> Option<Box<RawValue>> {
    let value = msgpack::to_json(raw).ok()?;
    serde_json::value::to_raw_value(&value).ok()
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
