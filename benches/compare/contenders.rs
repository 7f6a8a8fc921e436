//! Who is measured, and how each is started: the bridge (its release binary with a generated
//! config), the Python and Node glues in `benches/peers`, and this binary's own helper roles.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::brokers::Broker;
use crate::procs::{free_port, Proc};
use crate::workload::{Workload, HPC_PASSWORD, HPC_USER};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    Bridge,
    /// The bridge with `sink.nats.ordered: false` (no `Nats-Expected-Last-Msg-Id` chain).
    BridgeUnordered,
    PythonGlue,
    NodeGlue,
    /// Reads and parses with serde_json, publishes nothing.
    Limit,
    /// Reads and discards: the feeder's ceiling.
    Discard,
    /// A bare producer loop, no hub.
    BareProducer,
}

impl Contender {
    pub fn label(self, broker: Option<Broker>) -> String {
        let to = broker.map(|b| format!(" -> {}", b.label())).unwrap_or_default();
        match self {
            Contender::Bridge => format!("signalr-bridge{to}"),
            Contender::BridgeUnordered => format!("signalr-bridge, ordered: false{to}"),
            Contender::PythonGlue => format!("Python glue{to}"),
            Contender::NodeGlue if broker == Some(Broker::Kafka) => {
                format!("Node glue{to} (acks=-1, not idempotent)")
            }
            Contender::NodeGlue => format!("Node glue{to}"),
            Contender::Limit => "limit: read + serde_json parse, no publish".into(),
            Contender::Discard => "feeder ceiling: read + discard".into(),
            Contender::BareProducer => format!("bare producer loop{to}"),
        }
    }

    /// Whether events are counted at the broker (else at the feeder).
    pub fn publishes(self) -> bool {
        !matches!(self, Contender::Limit | Contender::Discard)
    }

    /// Whether it reads the hub (else it needs no feed).
    pub fn reads_hub(self) -> bool {
        !matches!(self, Contender::BareProducer)
    }
}

/// Where a contender connects and what it subscribes.
pub struct Setup<'a> {
    pub workload: Workload,
    pub hub_url: &'a str,
    /// The first RedMist event or HPC job subscribed.
    pub first_id: i64,
    pub connections: usize,
    /// Events (jobs) subscribed per connection (`first_id`, `first_id + 1`, ...).
    pub subscriptions: usize,
    pub broker: Option<Broker>,
    /// Stream/subject prefix or topic.
    pub destination: &'a str,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> PathBuf {
    std::env::var_os("COMPARE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/peers-venv/bin/python"))
}

/// The bridge's admin port when `contender` is the bridge (for its own histograms).
pub struct Started {
    pub proc: Proc,
    pub admin: Option<u16>,
    _config: Option<tempfile::NamedTempFile>,
}

pub fn start(contender: Contender, setup: &Setup) -> Started {
    let broker = setup.broker;
    let peers = root().join("benches/peers");
    let glue_args = |cmd: &mut Command| {
        cmd.args(["--hub", setup.hub_url])
            .args(["--frames", setup.workload.frames()])
            .args(["--event-id", &setup.first_id.to_string()])
            .args(["--connections", &setup.connections.to_string()])
            .args(["--subscriptions", &setup.subscriptions.to_string()])
            .args(["--broker", &broker.expect("glue has a broker").address()])
            .args(["--destination", setup.destination]);
    };
    let script = |dir: &str, stem: &str| {
        let ext = if dir == "python" { "py" } else { "js" };
        let which = if broker == Some(Broker::Kafka) { "kafka" } else { "nats" };
        peers.join(dir).join(format!("{stem}_{which}.{ext}"))
    };
    let label = contender.label(broker);
    match contender {
        Contender::Bridge | Contender::BridgeUnordered => {
            let admin = free_port();
            let config = bridge_config(setup, admin, contender == Contender::Bridge);
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_signalr-bridge"));
            cmd.arg("run").arg("--config").arg(config.path());
            Started { proc: Proc::spawn(&label, cmd), admin: Some(admin), _config: Some(config) }
        }
        Contender::PythonGlue => {
            let mut cmd = Command::new(python());
            cmd.arg(script("python", "glue")).current_dir(peers.join("python"));
            glue_args(&mut cmd);
            if setup.workload == Workload::HpcJobs {
                cmd.args(["--user", HPC_USER, "--password", HPC_PASSWORD]);
            }
            Started { proc: Proc::spawn(&label, cmd), admin: None, _config: None }
        }
        Contender::NodeGlue => {
            let mut cmd = Command::new("node");
            cmd.arg(script("node", "glue")).current_dir(peers.join("node"));
            glue_args(&mut cmd);
            if setup.workload == Workload::HpcJobs {
                cmd.args(["--user", HPC_USER, "--password", HPC_PASSWORD]);
            }
            Started { proc: Proc::spawn(&label, cmd), admin: None, _config: None }
        }
        Contender::Limit | Contender::Discard | Contender::BareProducer => {
            let role = match (contender, broker) {
                (Contender::Limit, _) => "limit",
                (Contender::Discard, _) => "discard",
                (_, Some(Broker::Kafka)) => "produce-kafka",
                _ => "produce-jetstream",
            };
            let mut cmd = Command::new(std::env::current_exe().expect("own path"));
            cmd.env("COMPARE_ROLE", role)
                .env("COMPARE_HUB", setup.hub_url)
                .env("COMPARE_FRAMES", setup.workload.frames())
                .env("COMPARE_EVENT", setup.first_id.to_string())
                .env("COMPARE_DEST", setup.destination);
            if let Some(broker) = broker {
                cmd.env("COMPARE_BROKER", broker.address());
            }
            Started { proc: Proc::spawn(&label, cmd), admin: None, _config: None }
        }
    }
}

/// The bridge's config: one hub per connection, each following the subscribed events (jobs).
fn bridge_config(setup: &Setup, admin: u16, ordered: bool) -> tempfile::NamedTempFile {
    let ids: Vec<String> =
        (0..setup.subscriptions).map(|i| (setup.first_id + i as i64).to_string()).collect();
    let ids = ids.join(", ");
    let mut yaml = String::from("hubs:\n");
    for n in 0..setup.connections {
        yaml.push_str(&format!("  - name: live{n}\n    url: {}\n", setup.hub_url));
        yaml.push_str(&match setup.workload {
            Workload::HpcJobs => format!(
                "    dialect: classic\n    profile: hpc_pack\n    hpc_pack: {{ job_ids: [{ids}] }}\n    \
                 auth: {{ username: {HPC_USER}, password: '{HPC_PASSWORD}' }}\n"
            ),
            Workload::CarPatchesJson | Workload::CarPatchesMsgPack => format!(
                "    skip_negotiation: true\n    profile: redmist\n    redmist: {{ event_ids: [{ids}] }}\n    \
                 protocol: {}\n",
                setup.workload.frames()
            ),
        });
    }
    let dest = setup.destination;
    yaml.push_str(&match setup.broker {
        Some(Broker::Kafka) => format!(
            "sink:\n  kind: kafka\n  kafka:\n    brokers: '{}'\n    topic_template: '{dest}'\n",
            Broker::Kafka.address()
        ),
        _ => format!(
            "sink:\n  kind: nats\n  nats:\n    url: '{}'\n    mode: jetstream\n    \
             subject_template: '{dest}.{{hub}}'\n    ordered: {ordered}\n",
            Broker::JetStream.address()
        ),
    });
    yaml.push_str(&format!(
        "admin: {{ listen: '127.0.0.1:{admin}' }}\nlog: {{ level: warn }}\n\
         shutdown: {{ grace_period_secs: 2 }}\n"
    ));
    let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::io::Write::write_all(&mut file, yaml.as_bytes()).unwrap();
    file
}

/// The peers' versions, as installed.
pub fn versions() -> Vec<String> {
    let mut out = Vec::new();
    let node_pkg = |name: &str| -> String {
        let path = root().join("benches/peers/node/node_modules").join(name).join("package.json");
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_string))
            .unwrap_or_else(|| "?".into())
    };
    let node = command_line(Command::new("node").arg("--version"));
    out.push(format!(
        "Node {node}: @microsoft/signalr {} (+ signalr-protocol-msgpack {}), node-signalr {}, \
         nats {}, kafkajs {}",
        node_pkg("@microsoft/signalr"),
        node_pkg("@microsoft/signalr-protocol-msgpack"),
        node_pkg("node-signalr"),
        node_pkg("nats"),
        node_pkg("kafkajs")
    ));
    let py = command_line(Command::new(python()).args([
        "-c",
        "import sys, importlib.metadata as m; print(sys.version.split()[0] + ': ' + ', '.join(\
         p + ' ' + m.version(p) for p in ['signalrcore', 'msgpack', 'signalr-client-threads', \
         'nats-py', 'confluent-kafka']))",
    ]));
    out.push(format!("Python {py}"));
    out
}

pub fn command_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".into())
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
