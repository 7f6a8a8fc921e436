//! The RedMist personality of the simulator (INTERFACE STUB: to be implemented): a pure race
//! model that yields hub invocations and the REST snapshot body.

/// Which SignalR group an invocation goes to (mirrors RedMist's groups).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Group {
    /// `SubscribeToEventV2(eventId)` subscribers: session and car patches, resets.
    Event(i64),
    /// `SubscribeToControlLogs(eventId, code)` subscribers.
    ControlLogs(i64),
    /// `SubscribeToCarControlLogs(eventId, car, code)` subscribers.
    CarControlLogs(i64, String),
    /// `SubscribeToInCarDriverEventV2(eventId, car, code)` subscribers.
    InCar(i64, String),
}

/// One server-to-client invocation the simulator broadcasts to a group.
#[derive(Debug, Clone)]
pub struct SimInvocation {
    pub group: Group,
    /// e.g. `ReceiveCarPatches`.
    pub target: &'static str,
    /// The JSON array of arguments, e.g. `[[{"number":"7",...}]]`.
    pub arguments: String,
}

/// A simulated race session.
#[derive(Debug)]
pub struct Race {}

impl Race {
    pub fn new(_event_id: i64, _cars: u32, _seed: u64) -> Race {
        todo!()
    }
    /// Advances the race by one car update; returns what to broadcast.
    pub fn tick(&mut self) -> Vec<SimInvocation> {
        todo!()
    }
    /// Restarts the session; returns the `ReceiveReset` invocation (and anything else due).
    pub fn reset(&mut self) -> Vec<SimInvocation> {
        todo!()
    }
    /// The body of `GET .../GetCurrentSessionStateJson?eventId=`; None for an unknown event.
    pub fn snapshot_json(&self, _event_id: i64) -> Option<String> {
        todo!()
    }
}
