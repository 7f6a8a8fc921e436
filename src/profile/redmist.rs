//! RedMist StatusHub profile (INTERFACE STUB: to be implemented).

use serde_json::value::RawValue;

use super::{DecodeError, Invocation, MessageContext, Normalized, SnapshotRequest};
use crate::config::HubConfig;
use crate::event::Event;

#[derive(Debug, Clone)]
pub struct RedMist {}

impl RedMist {
    pub fn from_config(_hub: &HubConfig) -> RedMist {
        todo!()
    }
    pub fn subscriptions(&self) -> Vec<Invocation> {
        todo!()
    }
    pub fn snapshot_requests(&self) -> Vec<SnapshotRequest> {
        todo!()
    }
    pub fn normalize(
        &self,
        _ctx: &MessageContext,
        _target: &str,
        _arguments: &RawValue,
        _out: &mut Vec<Event>,
    ) -> Result<Normalized, DecodeError> {
        todo!()
    }
    pub fn normalize_snapshot(
        &self,
        _ctx: &MessageContext,
        _request: &SnapshotRequest,
        _body: &[u8],
        _out: &mut Vec<Event>,
    ) -> Result<(), DecodeError> {
        todo!()
    }
}
