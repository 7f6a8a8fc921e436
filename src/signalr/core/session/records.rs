//! What the session does with each record it reads, in either hub protocol: invocations become
//! events, Completions settle subscriptions, Close ends the session; on a stateful connection
//! trackable records are numbered first and replayed duplicates skipped, Acks trim our replay
//! buffer and the server's Sequence is honoured.

use signalr_proto::core::{json, msgpack, HubMessage, Pending, RecordError};
use tracing::debug;

use super::Live;
use crate::event::WireId;
use crate::profile::Args;
use crate::signalr::subscriptions::Settled;
use crate::signalr::transport::message;
use crate::signalr::{dispatch, Exit, ProtocolError};

/// One WebSocket data frame's payload.
pub(super) enum Data<'d> {
    Text(&'d str),
    Binary(&'d [u8]),
}

impl Live<'_> {
    /// Records left after the handshake response, before any frame.
    pub(super) fn feed_pending(&mut self, pending: &mut Pending) {
        let nothing = match pending {
            Pending::Json(_) => Data::Text(""),
            Pending::MsgPack(_) => Data::Binary(b""),
        };
        self.feed(pending, nothing);
    }

    /// Splits one frame's data into records and handles each. Text frames carry JSON records,
    /// binary frames MessagePack ones; a frame of the other kind is counted and skipped.
    pub(super) fn feed(&mut self, pending: &mut Pending, data: Data<'_>) {
        let hub = self.hub;
        match (pending, data) {
            (Pending::Json(pending), Data::Text(text)) => {
                let each = |record: &str| self.record(json::parse_record(record));
                if !json::split_records(pending, text, each) {
                    let too_large = "record without separator exceeds the limit";
                    hub.report.decode_error("record_too_large", &too_large);
                }
            }
            (Pending::Json(_), Data::Binary(_)) => {
                let error = "binary frame on a JSON connection";
                hub.report.decode_error("binary_frame", &error);
            }
            (Pending::MsgPack(_), Data::Text(_)) => {
                let error = "text frame on a MessagePack connection";
                hub.report.decode_error("text_frame", &error);
            }
            (Pending::MsgPack(pending), Data::Binary(data)) => {
                let each = |record: &[u8]| self.record(msgpack::parse_record(record));
                if let Err(e) = msgpack::split_records(pending, data, each) {
                    // The stream cannot be resynchronised after a bad length: reconnect.
                    hub.report.decode_error("msgpack_framing", &e);
                    self.exit = Some(Exit::Lost(ProtocolError::from(e).into()));
                }
            }
        }
    }

    /// The record's position for its event id: the server's sequence id on a stateful
    /// connection, else its count on this connection. None: skip the record.
    fn admit(&mut self, kind: u64) -> Option<u64> {
        self.records += 1;
        match self.stateful.as_mut() {
            Some(stateful) => stateful.admit(self.hub, kind),
            None => Some(self.records),
        }
    }

    /// One decoded record, from either hub protocol.
    fn record(&mut self, message: Result<HubMessage<'_>, RecordError>) {
        let hub = self.hub;
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                self.admit(e.kind());
                return hub.report.decode_error(e.reason(), &e);
            }
        };
        if let HubMessage::Sequence(first) = message {
            return self.sequence(first);
        }
        let Some(position) = self.admit(message.kind()) else { return };
        match message {
            HubMessage::Invocation { invocation_id, target, arguments } => {
                self.invocation(position, invocation_id.as_deref(), &target, arguments)
            }
            HubMessage::Completion { invocation_id, result } => {
                let outcome = result.map(|_| ()).map_err(|e| e.into_owned());
                self.completion(&invocation_id, outcome);
            }
            HubMessage::Close { error, allow_reconnect } => {
                self.exit =
                    Some(Exit::Closed { allow_reconnect, error: error.map(|e| e.into_owned()) });
            }
            HubMessage::Ping | HubMessage::StreamItem { .. } | HubMessage::Sequence(_) => {}
            HubMessage::Ack(id) => self.ack(id),
            HubMessage::Unknown(kind) => self.unknown(kind),
        }
    }

    /// A server invocation: events, and the answer official clients give when one is expected.
    fn invocation(
        &mut self,
        position: u64,
        invocation_id: Option<&str>,
        target: &str,
        arguments: Args<'_>,
    ) {
        let wire = WireId { connection: self.connection.clone(), record: position };
        if dispatch::invocation(self.hub, wire, None, target, arguments, &mut self.events) {
            self.refresh_snapshots = true;
        }
        if let Some(id) = invocation_id {
            let answer = self.writer.no_result_completion(id);
            self.send_tracked(message(answer));
        }
    }

    fn completion(&mut self, invocation_id: &str, outcome: Result<(), String>) {
        match self.subscriptions.completed(invocation_id, outcome) {
            Settled::Round => self.refresh_snapshots = true,
            Settled::Added(target) => self.snapshot_for.push(target),
            Settled::Nothing => {}
        }
    }

    /// The server acknowledged our records up to `id`.
    fn ack(&mut self, id: u64) {
        match self.stateful.as_mut() {
            Some(stateful) => stateful.outbound.ack(id),
            None => self.stateful_ignored(),
        }
    }

    /// The server's replay after a resume starts at `first`.
    fn sequence(&mut self, first: u64) {
        self.records += 1;
        let hub = self.hub;
        let Some(stateful) = self.stateful.as_mut() else { return self.stateful_ignored() };
        if let Err(e) = stateful.sequence(hub, first) {
            hub.report.decode_error("sequence", &e);
            self.exit = Some(Exit::Lost(ProtocolError::from(e).into()));
        }
    }

    fn stateful_ignored(&self) {
        debug!(hub = %self.hub.spec.name, "Stateful-reconnect message on a connection that did not negotiate it; ignored.");
    }

    fn unknown(&self, kind: u64) {
        debug!(hub = %self.hub.spec.name, kind, "Unknown message type ignored.")
    }
}
