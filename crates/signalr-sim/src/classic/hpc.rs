//! HPC Pack's personality as a pure, seeded model: jobs with tasks moving through HPC Pack's
//! job and task states, each step yielding the `JobStateChange` / `TaskStateChange` events the
//! real scheduler pushes. No transport here; `state.rs` routes the events to groups.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One state change, as the hubs emit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HpcEvent {
    Job { job: u32, state: &'static str, previous: &'static str },
    Task { job: u32, task: u32, instance: u32, state: &'static str, previous: &'static str },
}

const TERMINAL: [&str; 3] = ["Finished", "Failed", "Canceled"];
/// HPC Pack's built-in group of compute nodes, which a job asks for unless told otherwise.
pub const DEFAULT_NODE_GROUP: &str = "ComputeNodes";

#[derive(Debug, Clone)]
pub struct Task {
    pub id: u32,
    pub instance: u32,
    pub state: &'static str,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: u32,
    pub name: String,
    pub owner: String,
    pub priority: &'static str,
    pub state: &'static str,
    /// The node groups the job asks for (the REST `NodeGroup` filter matches any of them).
    pub node_groups: Vec<String>,
    pub tasks: Vec<Task>,
}

impl Job {
    pub fn is_terminal(&self) -> bool {
        TERMINAL.contains(&self.state)
    }

    fn set(&mut self, state: &'static str, out: &mut Vec<HpcEvent>) {
        out.push(HpcEvent::Job { job: self.id, state, previous: self.state });
        self.state = state;
    }

    /// Moves every task in `from` to `to`, one event each.
    fn tasks(&mut self, from: &[&str], to: &'static str, out: &mut Vec<HpcEvent>) {
        for task in self.tasks.iter_mut().filter(|t| from.contains(&t.state)) {
            out.push(HpcEvent::Task {
                job: self.id,
                task: task.id,
                instance: task.instance,
                state: to,
                previous: task.state,
            });
            task.state = to;
        }
    }
}

/// The scheduler: jobs by id, and a seeded generator for the ticker's choices.
#[derive(Debug)]
pub struct HpcModel {
    jobs: BTreeMap<u32, Job>,
    next_id: u32,
    owner: String,
    rng: StdRng,
}

impl HpcModel {
    pub fn new(seed: u64, owner: &str) -> HpcModel {
        HpcModel {
            jobs: BTreeMap::new(),
            next_id: 1,
            owner: owner.to_string(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub fn job(&self, id: u32) -> Option<&Job> {
        self.jobs.get(&id)
    }

    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    /// Creates a job with `tasks` tasks and submits it: `Configuring -> Submitted` (tasks go to
    /// Submitted silently, as HPC's first task event has `previousState` Submitted).
    pub fn submit_job(&mut self, tasks: u32) -> (u32, Vec<HpcEvent>) {
        let id = self.next_id;
        self.next_id += 1;
        let tasks = (1..=tasks.max(1)).map(|id| Task { id, instance: 0, state: "Submitted" });
        let mut job = Job {
            id,
            name: format!("job-{id}"),
            owner: self.owner.clone(),
            priority: "Normal",
            state: "Configuring",
            node_groups: vec![DEFAULT_NODE_GROUP.to_owned()],
            tasks: tasks.collect(),
        };
        let mut out = Vec::new();
        job.set("Submitted", &mut out);
        self.jobs.insert(id, job);
        (id, out)
    }

    /// Gives a job its name and node groups, as a submitter would have (tests filter on them).
    pub fn describe(&mut self, id: u32, name: &str, node_groups: &[&str]) -> bool {
        let Some(job) = self.jobs.get_mut(&id) else { return false };
        job.name = name.to_owned();
        job.node_groups = node_groups.iter().map(|g| (*g).to_owned()).collect();
        true
    }

    /// One step of the job's lifecycle; empty when the job is unknown or already ended.
    pub fn advance(&mut self, id: u32) -> Vec<HpcEvent> {
        let mut out = Vec::new();
        let Some(job) = self.jobs.get_mut(&id) else { return out };
        match job.state {
            "Submitted" => job.set("Validating", &mut out),
            "Validating" => {
                job.set("Queued", &mut out);
                job.tasks(&["Submitted"], "Queued", &mut out);
            }
            "Queued" => {
                job.set("Running", &mut out);
                job.tasks(&["Queued"], "Dispatching", &mut out);
            }
            "Running" if job.tasks.iter().any(|t| t.state == "Dispatching") => {
                job.tasks(&["Dispatching"], "Running", &mut out);
            }
            "Running" => {
                job.tasks(&["Running"], "Finished", &mut out);
                job.set("Finished", &mut out);
            }
            _ => {}
        }
        out
    }

    /// Runs the job to `Finished`, step by step.
    pub fn finish(&mut self, id: u32) -> Vec<HpcEvent> {
        let mut out = Vec::new();
        loop {
            let step = self.advance(id);
            if step.is_empty() {
                return out;
            }
            out.extend(step);
        }
    }

    /// Ends the job in `Failed` (its running tasks fail) or `Canceled` (every unfinished task is
    /// canceled). Empty when the job is unknown or already ended.
    pub fn end(&mut self, id: u32, state: &'static str) -> Vec<HpcEvent> {
        let mut out = Vec::new();
        let Some(job) = self.jobs.get_mut(&id).filter(|j| !j.is_terminal()) else { return out };
        let open = ["Submitted", "Queued", "Dispatching", "Running"];
        if state == "Failed" {
            job.tasks(&["Dispatching", "Running"], "Failed", &mut out);
            job.tasks(&open, "Canceled", &mut out);
        } else {
            job.tasks(&open, "Canceled", &mut out);
        }
        job.set(state, &mut out);
        out
    }

    /// What the ticker does once: submit a job when few are active, else move a random active
    /// job one step (now and then failing or canceling it instead).
    pub fn tick(&mut self, tasks_per_job: u32) -> Vec<HpcEvent> {
        let active: Vec<u32> =
            self.jobs.values().filter(|j| !j.is_terminal()).map(|j| j.id).collect();
        if active.len() < 3 || self.rng.random_range(0..10) == 0 {
            return self.submit_job(tasks_per_job).1;
        }
        let id = active[self.rng.random_range(0..active.len())];
        match self.rng.random_range(0..50) {
            0 => self.end(id, "Failed"),
            1 => self.end(id, "Canceled"),
            _ => self.advance(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job_states(events: &[HpcEvent]) -> Vec<(&str, &str)> {
        events
            .iter()
            .filter_map(|e| match e {
                HpcEvent::Job { state, previous, .. } => Some((*previous, *state)),
                HpcEvent::Task { .. } => None,
            })
            .collect()
    }

    #[test]
    fn finish_walks_the_whole_lifecycle_in_order() {
        let mut model = HpcModel::new(1, "alice");
        let (id, mut events) = model.submit_job(2);
        events.extend(model.finish(id));
        let expected = [
            ("Configuring", "Submitted"),
            ("Submitted", "Validating"),
            ("Validating", "Queued"),
            ("Queued", "Running"),
            ("Running", "Finished"),
        ];
        assert_eq!(job_states(&events), expected);
        for task in [1, 2] {
            let states: Vec<(&str, &str)> = events
                .iter()
                .filter_map(|e| match e {
                    HpcEvent::Task { task: t, previous, state, .. } if *t == task => {
                        Some((*previous, *state))
                    }
                    _ => None,
                })
                .collect();
            let expected = [
                ("Submitted", "Queued"),
                ("Queued", "Dispatching"),
                ("Dispatching", "Running"),
                ("Running", "Finished"),
            ];
            assert_eq!(states, expected, "task {task}");
        }
        assert!(model.advance(id).is_empty());
        assert_eq!(model.job(id).unwrap().state, "Finished");
    }

    #[test]
    fn end_fails_or_cancels_open_work_once() {
        let mut model = HpcModel::new(1, "alice");
        let (id, _) = model.submit_job(1);
        model.advance(id);
        model.advance(id);
        model.advance(id);
        let events = model.end(id, "Failed");
        assert!(events.contains(&HpcEvent::Task {
            job: id,
            task: 1,
            instance: 0,
            state: "Failed",
            previous: "Dispatching"
        }));
        assert_eq!(job_states(&events), [("Running", "Failed")]);
        assert!(model.end(id, "Canceled").is_empty());
    }

    #[test]
    fn tick_is_deterministic_for_a_seed() {
        let run = |seed| {
            let mut model = HpcModel::new(seed, "alice");
            (0..200).flat_map(|_| model.tick(2)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert!(run(7).iter().any(|e| matches!(e, HpcEvent::Job { state: "Finished", .. })));
    }
}
