//! No secret reaches an operator's screen: `check-config` output, the logs of a running bridge
//! (at debug level, through failed and successful connects), `/status` and `/metrics` are
//! searched for every secret the config holds. The bridge runs as the real binary.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Every secret the configs below hold; none may be printed anywhere.
const SECRETS: [&str; 13] = [
    "tok-S3CRET-bearer",
    "ACCESS-S3CRET-code",
    "PW-S3CRET-basic",
    "NATSPW-S3CRET",
    "NATSTOKEN-S3CRET",
    "URLPW-S3CRET",
    "SASL-S3CRET",
    "KEYSTORE-S3CRET",
    "OAUTH-S3CRET",
    "QUERY-S3CRET",
    "USERINFO-S3CRET",
    "ADMIN-S3CRET-token-0123",
    "WRONG-S3CRET-presented",
];

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

fn bridge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_signalr-bridge"))
}

fn hubs(sim: u16, dead: u16) -> String {
    format!(
        "hubs:
  - name: live
    url: http://127.0.0.1:{sim}/status/event-status
    skip_negotiation: true
    profile: redmist
    redmist: {{ event_ids: [42], control_logs: true, access_code: ACCESS-S3CRET-code }}
    auth: {{ bearer_token: tok-S3CRET-bearer }}
  - name: hpc
    url: http://svc:USERINFO-S3CRET@127.0.0.1:{dead}/hpc
    dialect: classic
    profile: hpc_pack
    hpc_pack: {{ job_ids: [1] }}
    auth: {{ username: u, password: PW-S3CRET-basic }}
    reconnect: {{ initial_delay_ms: 100, max_delay_ms: 200 }}
  - name: oauth
    url: http://127.0.0.1:{dead}/status/event-status?tenant=t&access_token=QUERY-S3CRET
    skip_negotiation: true
    auth:
      oauth2: {{ token_url: 'http://127.0.0.1:{dead}/token', client_id: c, client_secret: OAUTH-S3CRET }}
    reconnect: {{ initial_delay_ms: 100, max_delay_ms: 200 }}
"
    )
}

#[test]
fn check_config_shows_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    let config = format!(
        "{}sink:
  kind: kafka
  nats:
    url: nats://bridge:URLPW-S3CRET@127.0.0.1:4222
    user: bridge
    password: NATSPW-S3CRET
    token: NATSTOKEN-S3CRET
  kafka:
    brokers: 127.0.0.1:9092
    sasl: {{ mechanism: plain, username: u, password: SASL-S3CRET }}
    properties: {{ ssl.keystore.password: KEYSTORE-S3CRET }}
admin: {{ api: {{ enabled: true, token: ADMIN-S3CRET-token-0123 }} }}
",
        hubs(1, 2)
    );
    std::fs::write(&path, config).unwrap();
    let out = bridge().args(["check-config", "--config"]).arg(&path).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
    assert_clean("check-config", &text);
}

#[tokio::test]
async fn a_running_bridge_logs_and_serves_no_secret() {
    let (sim, dead, admin) = (free_port(), free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    let config = format!(
        "simulator: {{ listen: '127.0.0.1:{sim}', rate_per_sec: 20, required_token: tok-S3CRET-bearer }}
{}sink: {{ kind: stdout }}
admin: {{ listen: '127.0.0.1:{admin}', api: {{ enabled: true, token: ADMIN-S3CRET-token-0123 }} }}
log: {{ level: debug, format: json }}
",
        hubs(sim, dead)
    );
    std::fs::write(&path, config).unwrap();
    let mut child = bridge()
        .args(["run", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let get = |what: &'static str| async move {
        let url = format!("http://127.0.0.1:{admin}/{what}");
        for _ in 0..100 {
            if let Ok(r) = reqwest::get(&url).await {
                return r.text().await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no answer from {url}");
    };
    // Long enough for connects, subscriptions with the access code, and refused retries.
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The admin API, refused and accepted: neither token, nor a method's arguments, is shown.
    let api = format!("http://127.0.0.1:{admin}/subscriptions");
    let client = reqwest::Client::new();
    let refused = client.get(&api).bearer_auth("WRONG-S3CRET-presented").send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_clean("a 401", &refused.text().await.unwrap());
    let body =
        r#"{"hub":"live","method":"SubscribeToControlLogs","arguments":[43,"ACCESS-S3CRET-code"]}"#;
    let added = client.post(&api).bearer_auth("ADMIN-S3CRET-token-0123").body(body).send();
    assert_eq!(added.await.unwrap().status(), 201);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = get("status").await;
    assert!(status.contains("\"live\""), "{status}");
    assert_clean("/status", &status);
    assert_clean("/metrics", &get("metrics").await);

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    child.wait().unwrap();
    assert!(stdout.contains("racing.redmist"), "events flowed with the secret token");
    assert!(stderr.contains("Hub connection lost") || stderr.contains("Reconnecting"), "{stderr}");
    assert_clean("the log", &stderr);
    assert_clean("the events", &stdout);
}
