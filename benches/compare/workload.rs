//! What is fed: RedMist car-patch frames over the Core JSON or MessagePack hub protocol, or HPC
//! Pack job frames over classic SignalR; which contenders each is measured with; and the
//! simulator that serves it in one run.

use std::sync::Arc;
use std::time::Duration;

use signalr_sim::classic::feed::HpcFeed;
use signalr_sim::classic::{ClassicSimulator, ClassicSimulatorConfig};
use signalr_sim::feed::{Feed, FeedPlan};
use signalr_sim::race::positional::CAR_POSITION_KEYS;
use signalr_sim::SimulatorConfig;
use signalr_sim::{FeedRun, SimOptions, Simulator};

use crate::brokers::Broker;
use crate::contenders::Contender;
use crate::{BROKERS, GLUES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    CarPatchesJson,
    CarPatchesMsgPack,
    HpcJobs,
}

/// The RedMist event the car patches belong to.
pub const EVENT_ID: i64 = 42;
/// The first HPC job subscribed (`BeginListen`); the feed's frames hold many jobs.
pub const JOB_ID: i64 = 1;
/// The classic simulator's HTTP Basic credentials (its defaults).
pub const HPC_USER: &str = "hpcadmin";
pub const HPC_PASSWORD: &str = "hpc-password";

impl Workload {
    pub const ALL: [Workload; 3] =
        [Workload::CarPatchesJson, Workload::CarPatchesMsgPack, Workload::HpcJobs];

    pub fn label(self) -> &'static str {
        match self {
            Workload::CarPatchesJson => "RedMist car patches, JSON",
            Workload::CarPatchesMsgPack => "RedMist car patches, MessagePack",
            Workload::HpcJobs => "HPC Pack job frames, classic SignalR (JSON)",
        }
    }

    /// A row's label in this workload's table (the limit says what it parses with).
    pub fn row(self, contender: Contender, broker: Option<Broker>) -> String {
        match (self, contender) {
            (Workload::CarPatchesMsgPack, Contender::Limit) => {
                "limit: read + MessagePack decode to a serde_json Value, no publish".into()
            }
            _ => contender.label(broker),
        }
    }

    /// What `COMPARE_ONLY` is matched against.
    pub fn filter_text(self, contender: Contender, broker: Option<Broker>) -> String {
        format!("{}: {}", self.label(), self.row(contender, broker))
    }

    /// The first subscribed event (RedMist) or job (HPC).
    pub fn first_id(self) -> i64 {
        match self {
            Workload::HpcJobs => JOB_ID,
            _ => EVENT_ID,
        }
    }

    /// The `COMPARE_FRAMES` / `--frames` value the helper roles and the glues take.
    pub fn frames(self) -> &'static str {
        match self {
            Workload::CarPatchesJson => "json",
            Workload::CarPatchesMsgPack => "messagepack",
            Workload::HpcJobs => "hpc",
        }
    }

    /// Hub invocations one connection makes per subscription (HPC: `BeginListen` on both hubs).
    pub fn invocations_per_subscription(self) -> usize {
        match self {
            Workload::HpcJobs => 2,
            _ => 1,
        }
    }

    /// The throughput rows: the feeder's ceiling and the limit, then per broker (the bare
    /// producer only once, with the JSON car patches: it reads no hub) the bridge and glues.
    pub fn throughput_cells(self) -> Vec<(Contender, Option<Broker>)> {
        let mut cells = vec![(Contender::Discard, None), (Contender::Limit, None)];
        for broker in BROKERS {
            if self == Workload::CarPatchesJson {
                cells.push((Contender::BareProducer, Some(broker)));
            }
            cells.extend(GLUES.iter().map(|c| (*c, Some(broker))));
            if self == Workload::CarPatchesJson && broker == Broker::JetStream {
                cells.push((Contender::BridgeUnordered, Some(broker)));
            }
        }
        cells
    }
}

/// The glues' table of RedMist car-patch member names by MessagePack key
/// (`benches/peers/redmist_car_keys.json`) must be the simulator's.
pub fn check_car_keys() {
    let path = crate::contenders::root().join("benches/peers/redmist_car_keys.json");
    let text = std::fs::read_to_string(&path).expect("benches/peers/redmist_car_keys.json");
    let glue: Vec<String> = serde_json::from_str(&text).expect("a JSON list of names");
    let ours: Vec<&str> = CAR_POSITION_KEYS.iter().map(|(long, _)| *long).collect();
    assert_eq!(glue, ours, "{} differs from CAR_POSITION_KEYS", path.display());
}

/// The pre-rendered feeds, built once per run.
pub struct Feeds {
    pub car_patches: Arc<Feed>,
    pub hpc: Arc<HpcFeed>,
}

impl Feeds {
    pub fn new() -> Feeds {
        Feeds {
            car_patches: Arc::new(Feed::car_patches(EVENT_ID, 24, 7, 20_000)),
            hpc: Arc::new(HpcFeed::jobs(7, 4, 20_000)),
        }
    }
}

/// The simulator serving one run.
pub enum Hub {
    Core(Simulator),
    Classic(ClassicSimulator),
}

impl Hub {
    pub async fn start(workload: Workload) -> Hub {
        if workload == Workload::HpcJobs {
            let sim = ClassicSimulator::start(ClassicSimulatorConfig {
                user: HPC_USER.into(),
                password: HPC_PASSWORD.into(),
                ..Default::default()
            })
            .await
            .expect("classic simulator starts");
            // Job 1 exists, so what the bridge reads over REST on connect is there.
            sim.control().submit_job();
            return Hub::Classic(sim);
        }
        let options =
            SimOptions { slow_client_timeout: Duration::from_secs(120), ..Default::default() };
        let config = SimulatorConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            rate_per_sec: 0,
            cars: 24,
            event_id: EVENT_ID,
            required_token: None,
        };
        Hub::Core(Simulator::start_with(config, options).await.expect("simulator starts"))
    }

    /// The URL contenders are given: the Core hub, or the classic base (`…/hpc`).
    pub fn url(&self) -> String {
        match self {
            Hub::Core(sim) => sim.hub_url().to_string(),
            Hub::Classic(sim) => sim.base_url().to_string(),
        }
    }

    pub async fn wait_for_invocations(&self, n: usize) {
        match self {
            Hub::Core(sim) => sim.control().wait_for_invocations(n).await,
            Hub::Classic(sim) => sim.control().wait_for_invocations(n).await,
        }
    }

    pub fn start_feed(&self, feeds: &Feeds, plan: FeedPlan) -> FeedRun {
        match self {
            Hub::Core(sim) => sim.control().start_feed(feeds.car_patches.clone(), plan),
            Hub::Classic(sim) => sim.control().start_feed(feeds.hpc.clone(), plan),
        }
    }
}
