//! Tests for config loading: layering, unknown keys, cross-field rules, redaction.

use std::io::Write;

use super::*;
use crate::config::{NatsMode, SinkKind};

const MINIMAL: &str = "
hubs:
  - name: live
    url: https://api.example/status/event-status
    skip_negotiation: true
    profile: redmist
    redmist: { event_ids: [42], access_code: code-123 }
    auth: { bearer_token: tok-456 }
sink:
  kind: stdout
";

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn load_text(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let f = file(text);
    load(Some(f.path()), env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn defaults_fill_what_the_file_omits() {
    let c = load_text(MINIMAL, &[]).unwrap();
    let hub = &c.hubs[0];
    assert_eq!(hub.keepalive_interval_secs, 15);
    assert_eq!(hub.server_timeout_secs, 30);
    assert_eq!(hub.reconnect.max_delay_ms, 30_000);
    assert_eq!(c.queue.capacity, 10_000);
    assert_eq!(c.shutdown.grace_period_secs, 30);
}

#[test]
fn environment_overrides_the_file() {
    let env = [
        ("SIGNALR_BRIDGE__SINK__KIND", "nats"),
        ("SIGNALR_BRIDGE__SINK__NATS__MODE", "core"),
        ("SIGNALR_BRIDGE__QUEUE__CAPACITY", "7"),
        ("OTHER__QUEUE__CAPACITY", "9"),
    ];
    let c = load_text(MINIMAL, &env).unwrap();
    assert_eq!(c.sink.kind, SinkKind::Nats);
    assert_eq!(c.sink.nats.unwrap().mode, NatsMode::Core);
    assert_eq!(c.queue.capacity, 7);
}

#[test]
fn unknown_keys_are_named() {
    let err = load_text(&MINIMAL.replace("kind: stdout", "kind: stdout\n  colour: red"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("`colour`") && err.contains("sink") && err.contains("fix:"), "{err}");
    let err = load_text(MINIMAL, &[("SIGNALR_BRIDGE__QUEUE__SIZE", "3")]).unwrap_err().to_string();
    assert!(err.contains("`size`"), "{err}");
}

#[test]
fn bad_enum_values_say_how_to_fix() {
    let err =
        load_text(&MINIMAL.replace("kind: stdout", "kind: kafkaa"), &[]).unwrap_err().to_string();
    assert!(err.contains("sink.kind") && err.contains("fix:"), "{err}");
}

#[test]
fn cross_field_rules() {
    let cases = [
        (MINIMAL.replace("event_ids: [42]", "event_ids: []"), "hubs[0].redmist.event_ids"),
        (MINIMAL.replace("profile: redmist", "profile: generic"), "hubs[0].redmist"),
        (MINIMAL.replace("name: live", "name: 'bad name'"), "hubs[0].name"),
        (MINIMAL.replace("kind: stdout", "kind: file"), "sink.file"),
        (
            MINIMAL.replace("kind: stdout", "kind: nats\n  nats: { subject_template: 'a.{nope}' }"),
            "sink.nats.subject_template",
        ),
        (
            MINIMAL.replace("skip_negotiation: true", "server_timeout_secs: 10"),
            "hubs[0].server_timeout_secs",
        ),
        (MINIMAL.replace("https://", "ftp://"), "hubs[0].url"),
        (format!("{MINIMAL}old: 1\n"), "`old`"),
        (MINIMAL.replace("hubs:\n  - name: live", "hubs: []\nx:\n  - name: live"), "`x`"),
    ];
    for (text, key) in cases {
        let err = load_text(&text, &[]).unwrap_err().to_string();
        assert!(err.contains(key), "expected `{key}` in: {err}");
    }
}

#[test]
fn duplicate_hub_names_are_refused() {
    let text = MINIMAL.replace("sink:", "  - name: live\n    url: http://127.0.0.1:1/h\nsink:");
    let err = load_text(&text, &[]).unwrap_err().to_string();
    assert!(err.contains("used twice"), "{err}");
}

#[test]
fn secrets_never_print() {
    let c = load_text(MINIMAL, &[]).unwrap();
    let json = serde_json::to_string(&c).unwrap();
    let debug = format!("{c:?}");
    for text in [json, debug] {
        assert!(!text.contains("tok-456") && !text.contains("code-123"), "{text}");
        assert!(text.contains("<redacted>"));
    }
}

#[test]
fn missing_file_is_a_read_error() {
    let err = load(Some(std::path::Path::new("/nonexistent.yaml")), Vec::new()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
}

const HPC: &str = "
hubs:
  - name: hpc
    url: https://head/hpc
    dialect: classic
    profile: hpc_pack
    hpc_pack: { job_ids: [17] }
sink:
  kind: stdout
";

#[test]
fn hpc_pack_rules() {
    let cases = [
        (HPC.replace("job_ids: [17]", "job_ids: []"), "hubs[0].hpc_pack.job_ids"),
        (
            HPC.replace("[17] }", "[17], hubs: [JobEventHub, JobEventHub] }"),
            "hubs[0].hpc_pack.hubs",
        ),
        (HPC.replace("    hpc_pack: { job_ids: [17] }\n", ""), "needs an `hpc_pack` section"),
        (HPC.replace("profile: hpc_pack", "profile: generic"), "needs `profile: hpc_pack`"),
        (HPC.replace("dialect: classic", "dialect: core"), "set `dialect: classic`"),
        (HPC.replace("[17] }", "[17], hubs: [JobHub] }"), "variant constructor JobHub"),
        (
            HPC.replace(
                "    hpc_pack: { job_ids: [17] }\n",
                "    skip_negotiation: true\n    hpc_pack: { job_ids: [17] }\n",
            ),
            "hubs[0].skip_negotiation",
        ),
        (
            HPC.replace("profile: hpc_pack", "profile: generic").replace(
                "hpc_pack: { job_ids: [17] }",
                "subscriptions: [{ method: BeginListen, arguments: [17] }]",
            ),
            "hubs[0].subscriptions[0].hub",
        ),
        (
            MINIMAL.replace(
                "skip_negotiation: true",
                "skip_negotiation: true\n    stateful_reconnect: true",
            ),
            "hubs[0].stateful_reconnect",
        ),
        (
            HPC.replace("dialect: classic", "dialect: classic\n    stateful_reconnect: true"),
            "hubs[0].stateful_reconnect",
        ),
    ];
    for (text, expected) in cases {
        let err = load_text(&text, &[]).unwrap_err().to_string();
        assert!(err.contains(expected), "expected `{expected}` in: {err}");
    }
    let ok = load_text(HPC, &[]).unwrap();
    assert_eq!(ok.hubs[0].dialect, crate::config::Dialect::Classic);
    let generic = HPC.replace("profile: hpc_pack", "profile: generic").replace(
        "hpc_pack: { job_ids: [17] }",
        "subscriptions: [{ hub: JobEventHub, method: BeginListen, arguments: [17] }]",
    );
    assert_eq!(
        load_text(&generic, &[]).unwrap().hubs[0].subscriptions[0].hub.as_deref(),
        Some("JobEventHub")
    );
}

#[test]
fn protocol_is_chosen_per_hub() {
    let c = load_text(MINIMAL, &[]).unwrap();
    assert_eq!(c.hubs[0].protocol, crate::config::HubProtocol::Json);
    let text = MINIMAL
        .replace("skip_negotiation: true", "skip_negotiation: true\n    protocol: messagepack");
    let c = load_text(&text, &[]).unwrap();
    assert_eq!(c.hubs[0].protocol, crate::config::HubProtocol::MessagePack);
    let err = load_text(&text.replace("messagepack", "msgpack"), &[]).unwrap_err().to_string();
    assert!(err.contains("hubs[0].protocol") && err.contains("fix:"), "{err}");
}

#[test]
fn messagepack_needs_the_core_dialect() {
    let text = HPC.replace("dialect: classic", "dialect: classic\n    protocol: messagepack");
    let err = load_text(&text, &[]).unwrap_err().to_string();
    assert!(err.contains("hubs[0].protocol"), "{err}");
}

#[test]
fn redmist_needs_the_core_dialect() {
    let err =
        load_text(&MINIMAL.replace("skip_negotiation: true", "dialect: classic"), &[]).unwrap_err();
    assert!(err.to_string().contains("hubs[0].dialect"), "{err}");
}

#[test]
fn hpc_pack_hubs_default_to_both() {
    let hub: crate::config::HubConfig = serde_json::from_value(serde_json::json!({
        "name": "hpc", "url": "https://head/hpc", "dialect": "classic", "profile": "hpc_pack",
        "hpc_pack": {"job_ids": [17]},
    }))
    .unwrap();
    let hubs = hub.hpc_pack.unwrap().hubs;
    assert_eq!(hubs, [crate::config::HpcHub::JobEventHub, crate::config::HpcHub::TaskEventHub]);
}

#[test]
fn every_example_config_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            load(Some(&path), Vec::new()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 2, "config/ holds the examples");
}

#[test]
fn a_spool_widens_the_duplicate_window_of_a_stream_the_bridge_creates() {
    let jetstream = MINIMAL.replace(
        "  kind: stdout\n",
        "  kind: nats\n  nats: { mode: jetstream, stream: { name: S, subjects: ['s.>'] } }\n",
    );
    let window =
        |c: &Config| c.sink.nats.as_ref().unwrap().stream.as_ref().unwrap().duplicate_window_secs;
    assert_eq!(window(&load_text(&jetstream, &[]).unwrap()), 120, "no spool: the default");
    let spooled = format!("{jetstream}queue:\n  spool: {{ dir: /tmp/s, max_outage_secs: 900 }}\n");
    let c = load_text(&spooled, &[]).unwrap();
    assert_eq!(window(&c), 900);
    let spool = c.queue.spool.unwrap();
    assert_eq!(
        (spool.when_full, spool.fsync),
        (crate::config::WhenFull::Block, crate::config::FsyncPolicy::Interval)
    );
    let refused = load_text(
        &format!("{jetstream}queue:\n  spool: {{ dir: /tmp/s, when_full: shrug }}\n"),
        &[],
    );
    assert!(refused.unwrap_err().to_string().contains("when_full"));
}
