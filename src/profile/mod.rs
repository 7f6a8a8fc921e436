//! What a hub's messages mean: which methods to invoke after connecting, and how each
//! invocation becomes events. Pure: no I/O; follow-ups that need I/O (a REST snapshot) are
//! returned to the hub task as [`Normalized::RefreshSnapshots`] and [`SnapshotRequest`]s.

mod dynamic;
pub mod gap;
mod generic;
pub mod hpcpack;
pub mod origin;
mod redmist;

use std::sync::Arc;

use serde_json::value::RawValue;
pub use signalr_proto::core::{Argument as Arg, ArgumentError, Arguments as Args, Nested};
use time::OffsetDateTime;

use crate::config::{HubConfig, ProfileKind};
use crate::event::{Event, WireId};

pub use dynamic::{Expansion, WrongKind};
pub use generic::Generic;
pub use hpcpack::HpcPack;
pub use origin::{origin, Origin};
pub use redmist::RedMist;

/// Where and when a hub message was read; every event built from it carries this identity.
#[derive(Debug, Clone)]
pub struct MessageContext {
    /// The configured hub name.
    pub hub: Arc<str>,
    /// The hub's CloudEvents `source`.
    pub source: Arc<str>,
    /// The message's identity on the wire.
    pub wire: WireId,
    /// When the bridge read it.
    pub received: OffsetDateTime,
}

impl MessageContext {
    /// An event from this message with the common fields filled in.
    pub fn event(
        &self,
        index: usize,
        kind: crate::event::EventType,
        subject: String,
        partition_key: String,
        data: Box<RawValue>,
    ) -> Event {
        Event {
            id: self.wire.event_id(index),
            source: self.source.clone(),
            hub: self.hub.clone(),
            kind,
            subject,
            time: self.received,
            partition_key,
            data,
        }
    }
}

/// A server method the bridge invokes after every connect.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The classic hub the method lives on (`H`); the Core dialect has one hub per URL and
    /// ignores it.
    pub hub: Option<String>,
    /// The server method, case as the server declares it.
    pub method: String,
    /// Every argument, optional ones as explicit `null`.
    pub arguments: Vec<serde_json::Value>,
    /// How `/status` and logs show it: secrets (access codes) replaced.
    pub display: String,
}

/// A REST snapshot the hub task should fetch and hand back to [`Profile::normalize_snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRequest {
    /// The RedMist event the snapshot is for.
    pub event_id: i64,
    /// The full URL to GET.
    pub url: url::Url,
}

/// What [`Profile::normalize`] made of an invocation, besides the events it pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalized {
    /// A target the profile knows.
    Known,
    /// A target the profile does not know; a generic event was pushed (count it).
    UnknownTarget,
    /// Consumers must rebuild: fetch every snapshot again (RedMist `ReceiveReset`).
    RefreshSnapshots,
    /// Known target, events pushed, but a state name outside the documented set (HPC Pack);
    /// it is kept in the event. Count it under this name.
    UnknownState(String),
}

/// Input that could not be made into events.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error(transparent)]
    Arguments(#[from] ArgumentError),
    #[error("invalid base64 in {target}")]
    Base64 { target: String },
    #[error("invalid gzip in {target}: {source}")]
    Gzip { target: String, source: std::io::Error },
    #[error("{target} inflates past the {limit}-byte limit (a gzip bomb?); refused")]
    Inflated { target: String, limit: u64 },
    #[error("arguments of {target} nest deeper than {limit} levels; refused")]
    TooDeep { target: String, limit: usize },
    #[error("snapshot: {0}")]
    Snapshot(serde_json::Error),
}

impl DecodeError {
    /// A bounded label for the decode-errors metric.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::Arguments(e) => e.reason(),
            DecodeError::Base64 { .. } => "base64",
            DecodeError::Gzip { .. } => "gzip",
            DecodeError::Inflated { .. } => "inflate_limit",
            DecodeError::TooDeep { .. } => "too_deep",
            DecodeError::Snapshot(_) => "snapshot",
        }
    }
}

/// The closed set of profiles.
#[derive(Debug, Clone)]
pub enum Profile {
    Generic(Generic),
    RedMist(RedMist),
    HpcPack(HpcPack),
}

impl Profile {
    pub fn from_config(hub: &HubConfig) -> Profile {
        match hub.profile {
            ProfileKind::Generic => Profile::Generic(Generic),
            ProfileKind::Redmist => Profile::RedMist(RedMist::from_config(hub)),
            ProfileKind::HpcPack => Profile::HpcPack(HpcPack::from_config(hub)),
        }
    }

    /// Methods to invoke after every connect: the hub's configured `subscriptions`, then the
    /// profile's own.
    pub fn subscriptions(&self, hub: &HubConfig) -> Vec<Invocation> {
        let mut all: Vec<Invocation> = hub
            .subscriptions
            .iter()
            .map(|s| Invocation {
                hub: s.hub.clone(),
                method: s.method.clone(),
                arguments: s.arguments.clone(),
                display: format!("{}({} argument(s))", s.method, s.arguments.len()),
            })
            .collect();
        match self {
            Profile::RedMist(rm) => all.extend(rm.subscriptions()),
            Profile::HpcPack(hpc) => all.extend(hpc.subscriptions()),
            Profile::Generic(_) => {}
        }
        all
    }

    /// The server methods the profile turns into typed events: metrics name them, whatever
    /// else the server sends.
    pub fn known_targets(&self) -> &'static [&'static str] {
        match self {
            Profile::Generic(_) => &[],
            Profile::RedMist(_) => RedMist::TARGETS,
            Profile::HpcPack(_) => HpcPack::TARGETS,
        }
    }

    /// Snapshots to fetch after every successful subscribe round and after each reset.
    pub fn snapshot_requests(&self) -> Vec<SnapshotRequest> {
        match self {
            Profile::Generic(_) | Profile::HpcPack(_) => Vec::new(),
            Profile::RedMist(rm) => rm.snapshot_requests(),
        }
    }

    /// Turns one server-to-client invocation into events pushed onto `out`.
    ///
    /// On error nothing is pushed for this invocation; the caller counts and logs it.
    pub fn normalize(
        &self,
        ctx: &MessageContext,
        target: &str,
        arguments: &RawValue,
        out: &mut Vec<Event>,
    ) -> Result<Normalized, DecodeError> {
        self.normalize_in_hub(ctx, None, target, arguments, out)
    }

    /// [`Profile::normalize`] for a dialect that names the hub in each invocation (classic
    /// `H`); Core passes `None`. A generic event names the method `Hub.Method` then, as
    /// classic servers do in their own messages.
    pub fn normalize_in_hub(
        &self,
        ctx: &MessageContext,
        hub: Option<&str>,
        target: &str,
        arguments: &RawValue,
        out: &mut Vec<Event>,
    ) -> Result<Normalized, DecodeError> {
        self.normalize_args(ctx, hub, target, Args::Json(arguments), out)
    }

    /// [`Profile::normalize_in_hub`] for arguments in either hub protocol: MessagePack ones
    /// decode into the same typed structs, so both protocols give the same events.
    pub fn normalize_args(
        &self,
        ctx: &MessageContext,
        hub: Option<&str>,
        target: &str,
        arguments: Args<'_>,
        out: &mut Vec<Event>,
    ) -> Result<Normalized, DecodeError> {
        match (self, hub) {
            (Profile::Generic(g), None) => g
                .normalize(ctx, target, &arguments.to_json(target)?, out)
                .map(|_| Normalized::Known),
            (Profile::Generic(g), Some(hub)) => {
                let target = format!("{hub}.{target}");
                let arguments = arguments.to_json(&target)?;
                g.normalize(ctx, &target, &arguments, out).map(|_| Normalized::Known)
            }
            (Profile::RedMist(rm), _) => rm.normalize(ctx, target, arguments, out),
            // HPC Pack speaks classic SignalR, which is JSON only.
            (Profile::HpcPack(hpc), hub) => {
                hpc.normalize(ctx, hub, target, &arguments.to_json(target)?, out)
            }
        }
    }

    /// Turns a fetched snapshot body into events.
    pub fn normalize_snapshot(
        &self,
        ctx: &MessageContext,
        request: &SnapshotRequest,
        body: &[u8],
        out: &mut Vec<Event>,
    ) -> Result<(), DecodeError> {
        match self {
            Profile::Generic(_) | Profile::HpcPack(_) => Ok(()),
            Profile::RedMist(rm) => rm.normalize_snapshot(ctx, request, body, out),
        }
    }
}
