//! The race's rarer outputs: the REST snapshot, race-control logs and in-car updates.
//! Formatting of the model's state only; the state changes in the parent module.

use rand::Rng;

use super::{to_json, wire, Group, Race, SimInvocation};

const CORNERS: [&str; 4] = ["T1", "T3", "T5", "T9"];
const NOTES: [(&str, &str, &str); 3] = [
    ("Contact", "Under review", ""),
    ("Track limits", "Warning", "Warning"),
    ("Avoidable contact", "Penalty", "Drive through"),
];

impl Race {
    /// The full `SessionState`, as the REST endpoint serves it.
    pub(super) fn snapshot(&self) -> String {
        let running = wire::clock(self.race_ms());
        let leader_ms = self.order.first().map_or(0, |&c| self.cars[c].total_ms);
        let leader_laps = self.order.first().map_or(0, |&c| self.cars[c].laps);
        let car_positions = (0..self.order.len())
            .map(|position| {
                let car = &self.cars[self.order[position]];
                wire::CarPosition {
                    eid: self.event_id.to_string(),
                    sid: self.session_id.to_string(),
                    n: &car.number,
                    tp: car.transponder,
                    class: car.class,
                    bt: wire::clock(car.best_ms.into()),
                    bl: car.best_lap,
                    og: wire::gap(
                        (leader_laps - car.laps).max(0),
                        car.total_ms.saturating_sub(leader_ms),
                    ),
                    ttm: wire::clock(car.total_ms),
                    ltm: wire::clock(car.last_lap_ms.into()),
                    llp: car.laps,
                    psc: car.pit_stops,
                    last_lap_pitted: car.last_pitted,
                    ovp: position as i32 + 1,
                    clp: self.class_position(position),
                    osp: car.start_position,
                    flg: self.flag,
                    ip: false,
                }
            })
            .collect();
        let event_entries = self
            .cars
            .iter()
            .map(|car| wire::EventEntry {
                no: &car.number,
                nm: format!("Driver {}", car.number),
                t: format!("Team {}", car.number),
                c: car.class,
            })
            .collect();
        let state = wire::SessionState {
            event_id: self.event_id,
            event_name: format!("Simulated event {}", self.event_id),
            session_id: self.session_id,
            session_name: "Race",
            laps_to_go: self.laps_to_go(),
            time_to_go: "00:00:00",
            local_time_of_day: "14:00:00",
            running_race_time: &running,
            is_practice_qualifying: false,
            session_start_time: "2026-05-01T14:00:00Z",
            local_time_zone_offset: 0.0,
            is_live: true,
            event_entries,
            car_positions,
            current_flag: self.flag,
            flag_durations: [],
            is_simulation: true,
        };
        to_json(&state)
    }

    /// A control-log entry about two adjacent cars, to the event's and the car's groups.
    pub(super) fn control_log(&mut self) -> [SimInvocation; 2] {
        let upper = self.rng.random_range(0..self.order.len() - 1);
        let (note, status, action) = NOTES[self.rng.random_range(0..NOTES.len())];
        let corner = CORNERS[self.rng.random_range(0..CORNERS.len())];
        self.log_order += 1;
        let car1 = &self.cars[self.order[upper + 1]].number;
        let car2 = &self.cars[self.order[upper]].number;
        let log = wire::ControlLog {
            cn: car1,
            entries: [wire::ControlLogEntry {
                o: self.log_order,
                // A UTC `DateTime`, as System.Text.Json writes one.
                t: format!("2026-05-01T14:{:02}:00Z", self.log_order % 60),
                cor: corner,
                c1: car1,
                c1h: true,
                c2: car2,
                c2h: false,
                n: note,
                s: status,
                a: action,
                on: "",
            }],
        };
        let arguments = to_json(&(log,));
        let target = "ReceiveControlLog";
        let car = car1.clone();
        [
            SimInvocation {
                group: Group::ControlLogs(self.event_id),
                target,
                arguments: arguments.clone(),
            },
            SimInvocation { group: Group::CarControlLogs(self.event_id, car), target, arguments },
        ]
    }

    /// The in-car display of one car: its positions and the cars around it.
    pub(super) fn in_car_update(&mut self) -> SimInvocation {
        let position = self.rng.random_range(0..self.order.len());
        let me = &self.cars[self.order[position]];
        let around = position.saturating_sub(1)..(position + 2).min(self.order.len());
        let cars = around
            .filter(|&p| p != position)
            .map(|p| {
                let car = &self.cars[self.order[p]];
                let ms = car.total_ms.abs_diff(me.total_ms);
                wire::CarStatus {
                    n: &car.number,
                    c: car.class,
                    t: format!("Team {}", car.number),
                    l: wire::clock(car.last_lap_ms.into()),
                    gl: if p < position { "-" } else { "+" },
                    g: wire::gap(0, ms),
                    ct: "",
                    d: format!("Driver {}", car.number),
                    id: car.transponder,
                    i: "",
                }
            })
            .collect();
        let payload = wire::InCar {
            n: &me.number,
            p: self.class_position(position).to_string(),
            o: (position + 1).to_string(),
            f: self.flag,
            c: cars,
        };
        let group = Group::InCar(self.event_id, me.number.clone());
        SimInvocation { group, target: "ReceiveInCarUpdateV2", arguments: to_json(&(payload,)) }
    }
}
