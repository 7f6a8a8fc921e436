//! The RedMist personality of the simulator: a pure, seeded race model that yields the hub
//! invocations RedMist would broadcast (car and session patches, control logs, in-car updates,
//! resets) and the REST snapshot body. No I/O and no clock: the server decides when to tick.

mod extras;
pub mod positional;
#[cfg(test)]
mod tests;
mod wire;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

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

const CLASSES: [(&str, u32); 3] = [("GTO", 92_000), ("GTU", 96_000), ("SPB", 101_000)];
const RACE_LAPS: i32 = 120;
/// Every this many ticks a session patch goes out; control logs and in-car updates are rarer.
const SESSION_EVERY: u64 = 25;
const IN_CAR_EVERY: u64 = 53;
const CONTROL_LOG_EVERY: u64 = 97;
const FLAG_GREEN: i32 = 1;
const FLAG_YELLOW: i32 = 2;

#[derive(Debug, Clone)]
struct Car {
    number: String,
    class: &'static str,
    base_lap_ms: u32,
    transponder: u32,
    laps: i32,
    last_lap_ms: u32,
    best_ms: u32,
    best_lap: i32,
    total_ms: u64,
    pit_stops: i32,
    last_pitted: Option<i32>,
    start_position: i32,
}

/// A simulated race session.
#[derive(Debug)]
pub struct Race {
    event_id: i64,
    session_id: i64,
    rng: StdRng,
    cars: Vec<Car>,
    /// `order[p]` is the car in overall position `p + 1`.
    order: Vec<usize>,
    ticks: u64,
    flag: i32,
    /// The upper position of the last swap, so a later tick can swap it back.
    last_swap: Option<usize>,
    log_order: i64,
}

impl Race {
    pub fn new(event_id: i64, cars: u32, seed: u64) -> Race {
        let mut rng = StdRng::seed_from_u64(seed);
        let cars = grid(&mut rng, cars as usize);
        let order = (0..cars.len()).collect();
        let (session_id, flag) = (1, FLAG_GREEN);
        let (ticks, last_swap, log_order) = (0, None, 0);
        Race { event_id, session_id, rng, cars, order, ticks, flag, last_swap, log_order }
    }

    /// Advances the race by one car update; returns what to broadcast.
    pub fn tick(&mut self) -> Vec<SimInvocation> {
        self.ticks += 1;
        let mut out = Vec::with_capacity(2);
        if !self.cars.is_empty() {
            let patches = self.step_car();
            out.push(self.to_event("ReceiveCarPatches", patches));
        }
        if self.ticks.is_multiple_of(SESSION_EVERY) {
            self.maybe_change_flag();
            out.push(self.session_patch());
        }
        if self.ticks.is_multiple_of(IN_CAR_EVERY) && !self.cars.is_empty() {
            out.push(self.in_car_update());
        }
        if self.ticks.is_multiple_of(CONTROL_LOG_EVERY) && self.cars.len() >= 2 {
            out.extend(self.control_log());
        }
        out
    }

    /// Restarts the session; returns the `ReceiveReset` invocation and the new session state.
    pub fn reset(&mut self) -> Vec<SimInvocation> {
        let count = self.cars.len();
        self.cars = grid(&mut self.rng, count);
        self.order = (0..count).collect();
        self.session_id += 1;
        self.flag = FLAG_GREEN;
        self.last_swap = None;
        let reset = SimInvocation {
            group: Group::Event(self.event_id),
            target: "ReceiveReset",
            arguments: "[]".to_owned(),
        };
        vec![reset, self.session_patch()]
    }

    /// The body of `GET .../GetCurrentSessionStateJson?eventId=`; None for an unknown event.
    pub fn snapshot_json(&self, event_id: i64) -> Option<String> {
        (event_id == self.event_id).then(|| self.snapshot())
    }

    /// One car moves: mostly a lap completion, otherwise an overtake or an overtake undone.
    fn step_car(&mut self) -> String {
        let roll = self.rng.random_range(0..100);
        if roll < 60 || self.cars.len() < 2 {
            let car = self.rng.random_range(0..self.cars.len());
            return self.complete_lap(car);
        }
        let upper = match self.last_swap.take() {
            Some(upper) if roll < 75 => upper,
            _ => {
                let upper = self.rng.random_range(0..self.cars.len() - 1);
                self.last_swap = Some(upper);
                upper
            }
        };
        self.order.swap(upper, upper + 1);
        let patches = [self.position_patch(upper), self.position_patch(upper + 1)];
        to_json(&(patches,))
    }

    fn complete_lap(&mut self, index: usize) -> String {
        let jitter = self.rng.random_range(0..3_000);
        let pitted = self.rng.random_ratio(1, 25);
        let leader_laps = self.cars[self.order[0]].laps;
        let leader_ms = self.cars[self.order[0]].total_ms;
        let car = &mut self.cars[index];
        car.laps += 1;
        car.last_lap_ms = car.base_lap_ms + jitter + if pitted { 45_000 } else { 0 };
        car.total_ms += u64::from(car.last_lap_ms);
        let improved = car.best_ms == 0 || car.last_lap_ms < car.best_ms;
        if improved {
            (car.best_ms, car.best_lap) = (car.last_lap_ms, car.laps);
        }
        if pitted {
            car.pit_stops += 1;
            car.last_pitted = Some(car.laps);
        }
        let laps_down = (leader_laps - car.laps).max(0);
        let patch = wire::LapPatch {
            number: &car.number,
            last_lap_completed: car.laps,
            last_lap_time: wire::clock(car.last_lap_ms.into()),
            total_time: wire::clock(car.total_ms),
            overall_gap: wire::gap(laps_down, car.total_ms.saturating_sub(leader_ms)),
            best_time: improved.then(|| wire::clock(car.best_ms.into())),
            best_lap: improved.then_some(car.best_lap),
            pit_stop_count: pitted.then_some(car.pit_stops),
            last_lap_pitted: if pitted { car.last_pitted } else { None },
            lap_included_pit: pitted,
        };
        to_json(&([patch],))
    }

    fn position_patch(&self, position: usize) -> wire::PositionPatch<'_> {
        let car = &self.cars[self.order[position]];
        wire::PositionPatch {
            number: &car.number,
            overall_position: position as i32 + 1,
            class_position: self.class_position(position),
        }
    }

    /// 1-based position among the cars of the same class.
    fn class_position(&self, position: usize) -> i32 {
        let class = self.cars[self.order[position]].class;
        let ahead = self.order[..position].iter().filter(|&&c| self.cars[c].class == class);
        ahead.count() as i32 + 1
    }

    fn maybe_change_flag(&mut self) {
        self.flag = match self.flag {
            FLAG_GREEN if self.rng.random_ratio(1, 10) => FLAG_YELLOW,
            FLAG_YELLOW if self.rng.random_ratio(2, 5) => FLAG_GREEN,
            same => same,
        };
    }

    fn session_patch(&self) -> SimInvocation {
        let running = wire::clock(self.race_ms());
        let patch = wire::SessionPatch {
            event_id: self.event_id,
            session_id: self.session_id,
            laps_to_go: self.laps_to_go(),
            time_to_go: "00:00:00",
            running_race_time: &running,
            current_flag: self.flag,
        };
        self.to_event("ReceiveSessionPatch", to_json(&(patch,)))
    }

    fn to_event(&self, target: &'static str, arguments: String) -> SimInvocation {
        SimInvocation { group: Group::Event(self.event_id), target, arguments }
    }

    fn race_ms(&self) -> u64 {
        self.cars.iter().map(|c| c.total_ms).max().unwrap_or(0)
    }

    fn laps_to_go(&self) -> i32 {
        let leader = self.order.first().map_or(0, |&c| self.cars[c].laps);
        (RACE_LAPS - leader).max(0)
    }
}

/// The starting grid: distinct car numbers, classes in turn, grid order as given.
fn grid(rng: &mut StdRng, count: usize) -> Vec<Car> {
    (0..count)
        .map(|i| {
            let (class, base_lap_ms) = CLASSES[i % CLASSES.len()];
            Car {
                // Each number comes from its own band of three, so numbers never collide.
                number: (2 + 3 * i + rng.random_range(0..3)).to_string(),
                class,
                base_lap_ms,
                transponder: 1_000_000 + rng.random_range(0..900_000),
                laps: 0,
                last_lap_ms: 0,
                best_ms: 0,
                best_lap: 0,
                total_ms: 0,
                pit_stops: 0,
                last_pitted: None,
                start_position: i as i32 + 1,
            }
        })
        .collect()
}

/// Serializing these plain structs cannot fail.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
