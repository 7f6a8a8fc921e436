//! The RedMist StatusHub profile: which methods to invoke after connecting, and how each hub
//! invocation (V2 patches, reset, control logs, in-car updates, legacy `ReceiveMessage`) and each
//! REST snapshot becomes events. Pure: it does no I/O; the hub task fetches snapshots.
//!
//! Event ids per event: where a message names its RedMist event (a car patch's `eventId`, a
//! session patch's `eventId`, a legacy payload's `e`), that id is used; where it does not (most
//! V2 car patches, control logs, in-car payloads), the hub's configured event id is used when
//! exactly one is configured, and `unknown` otherwise (a connection following several events
//! cannot tell which one an anonymous message belongs to).

mod car;
mod legacy;
mod logs;
#[cfg(test)]
mod msgpack_tests;
mod session;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;

use super::{
    generic, Args, ArgumentError, DecodeError, Invocation, MessageContext, Normalized,
    SnapshotRequest,
};
use crate::config::{HubConfig, Secret};
use crate::event::{Event, EventType};
use car::CarPatch;

/// The subject segment for a message whose event cannot be told.
const UNKNOWN_EVENT: &str = "unknown";

/// The RedMist profile of one hub. Shared, so cloning the profile per connection is cheap.
#[derive(Debug, Clone)]
pub struct RedMist(Arc<Settings>);

#[derive(Debug)]
struct Settings {
    event_ids: Vec<i64>,
    control_logs: bool,
    car_control_logs: Vec<String>,
    in_car: Vec<String>,
    access_code: Option<Secret>,
    snapshot_url: url::Url,
    /// The configured event id as text, when exactly one is configured.
    sole_event: Option<String>,
}

impl RedMist {
    pub fn from_config(hub: &HubConfig) -> RedMist {
        let rm = hub.redmist.clone().unwrap_or_default();
        // `join` on an http(s) URL cannot fail; the fallback only keeps this total.
        let default_url =
            || hub.url.join("v2/Events/GetCurrentSessionStateJson").unwrap_or(hub.url.clone());
        let snapshot_url = rm.snapshot_url.clone().unwrap_or_else(default_url);
        let sole_event = match rm.event_ids.as_slice() {
            [one] => Some(one.to_string()),
            _ => None,
        };
        RedMist(Arc::new(Settings {
            event_ids: rm.event_ids,
            control_logs: rm.control_logs,
            car_control_logs: rm.car_control_logs,
            in_car: rm.in_car,
            access_code: rm.access_code,
            snapshot_url,
            sole_event,
        }))
    }

    /// Every subscription, with exact arity: SignalR applies no C# defaults, so the optional
    /// access code is always sent, as JSON `null` when there is none.
    pub fn subscriptions(&self) -> Vec<Invocation> {
        self.0.event_ids.iter().flat_map(|&event| self.subscriptions_for(event)).collect()
    }

    /// What the profile subscribes for one event: its patches, then the configured logs and
    /// in-car feeds.
    pub fn subscriptions_for(&self, event: i64) -> Vec<Invocation> {
        let mut all = vec![self.invocation("SubscribeToEventV2", event, None, false)];
        if self.0.control_logs {
            all.push(self.invocation("SubscribeToControlLogs", event, None, true));
        }
        for car in &self.0.car_control_logs {
            all.push(self.invocation("SubscribeToCarControlLogs", event, Some(car), true));
        }
        for car in &self.0.in_car {
            all.push(self.invocation("SubscribeToInCarDriverEventV2", event, Some(car), true));
        }
        all
    }

    /// The unsubscribe methods matching [`RedMist::subscriptions_for`] (they take no code).
    pub fn unsubscriptions_for(&self, event: i64) -> Vec<Invocation> {
        let mut all = vec![self.invocation("UnsubscribeFromEventV2", event, None, false)];
        if self.0.control_logs {
            all.push(self.invocation("UnsubscribeFromControlLogs", event, None, false));
        }
        for car in &self.0.car_control_logs {
            all.push(self.invocation("UnsubscribeFromCarControlLogs", event, Some(car), false));
        }
        for car in &self.0.in_car {
            all.push(self.invocation("UnsubscribeFromInCarDriverEventV2", event, Some(car), false));
        }
        all
    }

    fn invocation(&self, method: &str, event: i64, car: Option<&str>, code: bool) -> Invocation {
        let mut arguments = vec![serde_json::Value::from(event)];
        let mut shown = vec![event.to_string()];
        if let Some(car) = car {
            arguments.push(serde_json::Value::from(car));
            shown.push(serde_json::Value::from(car).to_string());
        }
        if code {
            match &self.0.access_code {
                Some(secret) => {
                    arguments.push(serde_json::Value::from(secret.expose()));
                    shown.push("<redacted>".to_owned());
                }
                None => {
                    arguments.push(serde_json::Value::Null);
                    shown.push("null".to_owned());
                }
            }
        }
        let display = format!("{method}({})", shown.join(", "));
        Invocation { hub: None, method: method.to_owned(), arguments, display }
    }

    /// One snapshot per configured event: the snapshot URL with `eventId=<id>` appended.
    pub fn snapshot_requests(&self) -> Vec<SnapshotRequest> {
        self.0.event_ids.iter().map(|&event_id| self.snapshot_request(event_id)).collect()
    }

    /// The snapshot of one event.
    pub fn snapshot_request(&self, event_id: i64) -> SnapshotRequest {
        let mut url = self.0.snapshot_url.clone();
        url.query_pairs_mut().append_pair("eventId", &event_id.to_string());
        SnapshotRequest { event_id, url }
    }

    /// The server methods this profile turns into typed events (`normalize` below).
    pub const TARGETS: &'static [&'static str] = &[
        "ReceiveCarPatches",
        "ReceiveSessionPatch",
        "ReceiveReset",
        "ReceiveControlLog",
        "ReceiveInCarUpdateV2",
        "ReceiveMessage",
    ];

    /// Turns one invocation into events; on error nothing is pushed for it.
    pub fn normalize(
        &self,
        ctx: &MessageContext,
        target: &str,
        arguments: Args<'_>,
        out: &mut Vec<Event>,
    ) -> Result<Normalized, DecodeError> {
        let is = |name: &str| target.eq_ignore_ascii_case(name);
        // The hot path first: car patches are most of the traffic.
        if is("ReceiveCarPatches") {
            // One pass over the bytes: the argument array straight into a typed 1-tuple. The
            // two-pass path below runs only on failure, to name the error exactly.
            let cars: Vec<CarPatch> = match arguments.decode_tuple::<(Vec<CarPatch>,)>(1) {
                Some((cars,)) => cars,
                None => {
                    let [arg] = arguments.split::<1>(target)?;
                    arg.decode(target, 0)?
                }
            };
            self.push_cars(ctx, target, &cars, None, out)?;
        } else if is("ReceiveSessionPatch") {
            let [arg] = arguments.split::<1>(target)?;
            let patch: session::SessionFields = arg.decode(target, 0)?;
            let event = self.event_key(patch.event_id.map(|id| Cow::Owned(id.to_string())));
            let data = to_raw(target, &patch)?;
            let kind = EventType::RedMistSessionPatched;
            out.push(ctx.event(0, kind, format!("events/{event}"), event.into_owned(), data));
        } else if is("ReceiveReset") {
            arguments.split::<0>(target)?;
            out.push(self.reset_event(ctx, target)?);
            return Ok(Normalized::RefreshSnapshots);
        } else if is("ReceiveControlLog") {
            let [arg] = arguments.split::<1>(target)?;
            let log: logs::ControlLog = arg.decode(target, 0)?;
            let event = self.event_key(None);
            let subject = match log.car_number.as_ref() {
                "" => format!("events/{event}/control-log"),
                car => format!("events/{event}/cars/{car}/control-log"),
            };
            let key = format!("{event}/{}", log.car_number);
            let data = to_raw(target, &log)?;
            out.push(ctx.event(0, EventType::RedMistControlLog, subject, key, data));
        } else if is("ReceiveInCarUpdateV2") {
            let [arg] = arguments.split::<1>(target)?;
            let payload: logs::InCarPayload = arg.decode(target, 0)?;
            let (event, car) = (self.event_key(None), &payload.car_number);
            let subject = format!("events/{event}/cars/{car}/in-car");
            let key = format!("{event}/{car}");
            let data = to_raw(target, &payload)?;
            out.push(ctx.event(0, EventType::RedMistInCarUpdated, subject, key, data));
        } else if is("ReceiveMessage") {
            let [arg] = arguments.split::<1>(target)?;
            let text: Cow<str> = arg.decode::<car::Str>(target, 0)?.0;
            legacy::normalize(self, ctx, target, &text, out)?;
        } else {
            let arguments = arguments.to_json(target)?;
            out.push(generic::invocation_event(ctx, 0, target, &arguments)?);
            return Ok(Normalized::UnknownTarget);
        }
        Ok(Normalized::Known)
    }

    /// The REST snapshot (a full `SessionState`) as one event.
    pub fn normalize_snapshot(
        &self,
        ctx: &MessageContext,
        request: &SnapshotRequest,
        body: &[u8],
        out: &mut Vec<Event>,
    ) -> Result<(), DecodeError> {
        let state: session::SessionFields =
            serde_json::from_slice(body).map_err(DecodeError::Snapshot)?;
        let data = serde_json::value::to_raw_value(&state).map_err(DecodeError::Snapshot)?;
        let id = request.event_id;
        let kind = EventType::RedMistSessionSnapshot;
        out.push(ctx.event(0, kind, format!("events/{id}"), id.to_string(), data));
        Ok(())
    }

    /// One event per car, indexed by the car's position in its list so ids stay unique.
    fn push_cars(
        &self,
        ctx: &MessageContext,
        target: &str,
        cars: &[CarPatch],
        event: Option<&str>,
        out: &mut Vec<Event>,
    ) -> Result<(), DecodeError> {
        let first = out.len();
        for (index, car) in cars.iter().enumerate() {
            let from_msg = car.event_id.as_ref().map(|e| e.0.as_ref()).or(event);
            let event = self.event_key(from_msg.map(Cow::Borrowed));
            let number = &car.number;
            let data = match to_raw(target, car) {
                Ok(data) => data,
                Err(error) => {
                    // All or nothing per invocation.
                    out.truncate(first);
                    return Err(error);
                }
            };
            let mut key = String::with_capacity(event.len() + number.len() + 1);
            key.push_str(&event);
            key.push('/');
            key.push_str(number);
            let mut subject = String::with_capacity(key.len() + 12);
            subject.push_str("events/");
            subject.push_str(&event);
            subject.push_str("/cars/");
            subject.push_str(number);
            out.push(ctx.event(index, EventType::RedMistCarPatched, subject, key, data));
        }
        Ok(())
    }

    fn reset_event(&self, ctx: &MessageContext, target: &str) -> Result<Event, DecodeError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ResetData<'a> {
            event_ids: &'a [i64],
        }
        let data = to_raw(target, &ResetData { event_ids: &self.0.event_ids })?;
        let (subject, key) = match &self.0.sole_event {
            Some(event) => (format!("events/{event}"), event.clone()),
            None => ("events".to_owned(), ctx.hub.to_string()),
        };
        Ok(ctx.event(0, EventType::RedMistReset, subject, key, data))
    }

    /// The event a message belongs to: its own id if it has one, else the sole configured one.
    fn event_key<'s>(&'s self, from_msg: Option<Cow<'s, str>>) -> Cow<'s, str> {
        from_msg
            .or_else(|| self.0.sole_event.as_deref().map(Cow::Borrowed))
            .unwrap_or(Cow::Borrowed(UNKNOWN_EVENT))
    }
}

/// Event data from a decoded struct. Cannot fail for these types; mapped rather than unwrapped
/// so that no network input can ever reach a panic.
fn to_raw<T: Serialize>(target: &str, value: &T) -> Result<Box<RawValue>, DecodeError> {
    serde_json::value::to_raw_value(value).map_err(|source| {
        ArgumentError::Json { target: target.to_owned(), index: 0, source }.into()
    })
}
