//! Tests for the Kafka sink section: defaults, and every refusal naming its key.

use std::io::Write;

use super::*;
use crate::config::{is_secret_property, load, SinkKind};

const HUB: &str = "
hubs:
  - name: live
    url: https://api.example/hub
sink:
  kind: kafka
";

fn load_text(sink: &str) -> Result<crate::config::Config, ConfigError> {
    let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    f.write_all(format!("{HUB}{sink}").as_bytes()).unwrap();
    load(Some(f.path()), Vec::new())
}

fn refused_key(sink: &str) -> String {
    match load_text(sink) {
        Err(ConfigError::Invalid { key, .. }) => key,
        Err(other) => panic!("wrong error for {sink}: {other}"),
        Ok(_) => panic!("accepted: {sink}"),
    }
}

#[test]
fn defaults_are_the_safe_producer() {
    let c = load_text("  kafka: { brokers: 'b:9092' }\n").unwrap();
    assert_eq!(c.sink.kind, SinkKind::Kafka);
    let k = c.sink.kafka.unwrap();
    assert_eq!(k.topic_template, "signalr.{hub}");
    assert_eq!(k.mode, KafkaMode::Structured);
    assert_eq!(k.compression, KafkaCompression::Lz4);
    assert_eq!(k.message_timeout_ms, 0);
    let native = k.client_config().unwrap();
    assert_eq!(native.get("enable.idempotence"), Some("true"));
    assert_eq!(native.get("acks"), Some("all"));
    assert_eq!(native.get("compression.type"), Some("lz4"));
}

#[test]
fn refusals_name_the_key() {
    let table = [
        ("", "sink.kafka"),
        ("  kafka: { topic_template: t }\n", "sink.kafka.brokers"),
        ("  kafka: { brokers: b, topic_template: 'a.{nope}' }\n", "sink.kafka.topic_template"),
        ("  kafka: { brokers: b, topic_template: 'a/{hub}' }\n", "sink.kafka.topic_template"),
        (
            "  kafka: { brokers: b, properties: { enable.idempotence: 'false' } }\n",
            "sink.kafka.properties.enable.idempotence",
        ),
        ("  kafka: { brokers: b, properties: { acks: '0' } }\n", "sink.kafka.properties.acks"),
        (
            "  kafka: { brokers: b, properties: { sasl.password: p } }\n",
            "sink.kafka.properties.sasl.password",
        ),
        (
            "  kafka: { brokers: b, properties: { no.such.thing: x } }\n",
            "sink.kafka.properties.no.such.thing",
        ),
        (
            "  kafka: { brokers: b, properties: { security.protocol: carrier_pigeon } }\n",
            "sink.kafka.properties.security.protocol",
        ),
    ];
    for (sink, key) in table {
        assert_eq!(refused_key(sink), key, "{sink}");
    }
}

#[test]
fn safe_pass_through_properties_are_accepted_and_secret_looking_ones_redacted() {
    let c = load_text(
        "  kafka:
    brokers: b
    properties: { acks: all, enable.idempotence: 'true', ssl.keystore.password: hunter2 }
",
    )
    .unwrap();
    let k = c.sink.kafka.unwrap();
    let native = k.client_config().unwrap();
    assert_eq!(native.get("ssl.keystore.password"), Some("hunter2"));
    assert!(!serde_json::to_string(&k).unwrap().contains("hunter2"));
    assert!(serde_json::to_string(&k).unwrap().contains("\"acks\":\"all\""));
    assert!(is_secret_property("ssl.keystore.password"));
    assert!(is_secret_property("ssl.key.pem"));
    assert!(!is_secret_property("socket.timeout.ms"));
}

#[test]
fn tls_and_sasl_become_librdkafka_security_properties_with_secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let (ca, cert, key) = (write("ca.pem", "x"), write("c.pem", "x"), write("k.pem", "x"));
    let password = write("password", "hunter2\n");
    let c = load_text(&format!(
        "  kafka:
    brokers: b
    tls: {{ ca_file: '{ca}', cert_file: '{cert}', key_file: '{key}', key_password: k3y }}
    sasl: {{ mechanism: SCRAM-SHA-512, username: bridge, password_file: '{password}' }}
"
    ));
    // librdkafka opens the PEM files only when a client starts; the config is accepted here.
    let k = c.unwrap().sink.kafka.unwrap();
    let native = k.client_config().unwrap();
    let get = |key: &str| native.get(key).map(str::to_owned);
    assert_eq!(get("security.protocol").as_deref(), Some("sasl_ssl"));
    assert_eq!(get("sasl.mechanism").as_deref(), Some("SCRAM-SHA-512"));
    assert_eq!(get("sasl.username").as_deref(), Some("bridge"));
    assert_eq!(get("sasl.password").as_deref(), Some("hunter2"));
    assert_eq!(get("ssl.ca.location"), Some(ca));
    assert_eq!(get("ssl.certificate.location"), Some(cert));
    assert_eq!(get("ssl.key.password").as_deref(), Some("k3y"));
    let shown = format!("{k:?} {}", serde_json::to_string(&k).unwrap());
    assert!(!shown.contains("hunter2") && !shown.contains("k3y"), "{shown}");

    let plain = load_text(
        "  kafka: { brokers: b, sasl: { mechanism: plain, username: u, password: p } }\n",
    );
    let plain = plain.unwrap().sink.kafka.unwrap().client_config().unwrap();
    assert_eq!(plain.get("security.protocol"), Some("sasl_plaintext"));
    assert_eq!(plain.get("sasl.mechanism"), Some("PLAIN"));
    let tls_only = load_text("  kafka: { brokers: b, tls: {} }\n").unwrap();
    let tls_only = tls_only.sink.kafka.unwrap().client_config().unwrap();
    assert_eq!(tls_only.get("security.protocol"), Some("ssl"));
}

#[test]
fn security_and_topic_creation_refusals_name_the_key() {
    let table = [
        ("  kafka: { brokers: b, sasl: { mechanism: plain, username: u } }\n", "sink.kafka.sasl.password"),
        (
            "  kafka: { brokers: b, sasl: { mechanism: plain, username: u, password: p, password_file: /x } }\n",
            "sink.kafka.sasl.password",
        ),
        ("  kafka: { brokers: b, tls: { cert_file: /etc/hostname } }\n", "sink.kafka.tls.key_file"),
        (
            "  kafka: { brokers: b, properties: { ssl.ca.location: /x } }\n",
            "sink.kafka.properties.ssl.ca.location",
        ),
        (
            "  kafka: { brokers: b, create_topics: { partitions: 0 } }\n",
            "sink.kafka.create_topics.partitions",
        ),
        (
            "  kafka: { brokers: b, create_topics: { replication_factor: 0 } }\n",
            "sink.kafka.create_topics.replication_factor",
        ),
    ];
    for (sink, key) in table {
        assert_eq!(refused_key(sink), key, "{sink}");
    }
    // A secret file is read at connect, where it may be mounted: checking the config elsewhere
    // works, and connecting without it names the key.
    let absent = "  kafka: { brokers: b, sasl: { mechanism: plain, username: u, password_file: /no/such } }\n";
    let k = load_text(absent).unwrap().sink.kafka.unwrap();
    match k.client_config() {
        Err(ConfigError::Invalid { key, .. }) => assert_eq!(key, "sink.kafka.sasl.password_file"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let unknown = load_text("  kafka: { brokers: b, sasl: { mechanism: gssapi, username: u } }\n");
    assert!(unknown.unwrap_err().to_string().contains("mechanism"));
}

#[test]
fn the_sasl_password_can_come_from_the_environment() {
    let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    let sink = "  kafka: { brokers: b, sasl: { mechanism: scram_sha_256, username: u } }\n";
    f.write_all(format!("{HUB}{sink}").as_bytes()).unwrap();
    let env = [("SIGNALR_BRIDGE__SINK__KAFKA__SASL__PASSWORD".to_owned(), "hunter2".to_owned())];
    let c = load(Some(f.path()), env).unwrap();
    let k = c.sink.kafka.unwrap();
    assert_eq!(k.client_config().unwrap().get("sasl.password"), Some("hunter2"));
    assert_eq!(k.client_config().unwrap().get("sasl.mechanism"), Some("SCRAM-SHA-256"));
}
