//! `kill -9` of the real bridge process during a broker outage: what it had spooled is
//! published after the restart. The bridge runs as a child process with its embedded RedMist
//! simulator, publishing to NATS JetStream through a proxy this test stops and restarts.

#[path = "shared/child.rs"]
mod child;
mod support;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use child::{embedded_redmist, free_port, metric};
use signalr_bridge::spool::{Fsync, Spool, SpoolOptions};
use support::{read_stream, Proxy, Scope, NATS_URL};

/// A config: simulator on `sim`, JetStream through `proxy`, a 20-event queue spilling to `spool`.
fn config(scope: &Scope, proxy: &Proxy, sim: u16, admin: u16, spool: &Path) -> String {
    format!(
        "{}sink:
  kind: nats
  max_in_flight: 8
  nats:
    url: nats://{proxy}
    mode: jetstream
    ack_timeout_secs: 1
    subject_template: '{prefix}.{{hub}}.{{type}}'
    stream: {{ name: {stream}, subjects: ['{prefix}.>'] }}
queue:
  capacity: 20
  spool: {{ dir: '{spool}', fsync: never }}
admin: {{ listen: '127.0.0.1:{admin}' }}
log: {{ level: warn }}
",
        embedded_redmist(sim, 200, "live"),
        proxy = proxy.addr,
        prefix = scope.prefix,
        stream = scope.stream,
        spool = spool.display(),
    )
}

fn spawn(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_signalr-bridge"))
        .args(["run", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the bridge binary starts")
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < give_up, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn events_spooled_before_kill_9_are_published_after_restart() {
    let scope = Scope::new().await;
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let proxy = Proxy::start(NATS_URL).await;
    let admin = free_port();
    let config_path = dir.path().join("bridge.yaml");
    std::fs::write(&config_path, config(&scope, &proxy, free_port(), admin, &spool_dir)).unwrap();

    let mut bridge = spawn(&config_path);
    wait_for("first events published", async || metric(admin, "events_published_total").await > 0)
        .await;
    proxy.stop();
    wait_for("events spooled during the outage", async || {
        metric(admin, "spooled_events_total").await >= 300
    })
    .await;
    bridge.kill().unwrap(); // SIGKILL: no shutdown path runs
    bridge.wait().unwrap();

    let options = SpoolOptions {
        dir: spool_dir.clone(),
        max_bytes: u64::MAX,
        segment_bytes: 64 << 20,
        fsync: Fsync::Never,
    };
    let spooled: HashSet<String> = {
        let (mut spool, _) = Spool::open(options).unwrap();
        std::iter::from_fn(|| spool.read_next().unwrap()).map(|(_, e)| e.id).collect()
    };
    assert!(spooled.len() >= 300, "the spool survived the kill: {}", spooled.len());
    // A write torn by the kill, as a power cut would leave it: cut and counted at the restart.
    let files = std::fs::read_dir(&spool_dir).unwrap().map(|e| e.unwrap().path());
    let newest = files.filter(|p| p.extension().is_some_and(|x| x == "seg")).max().unwrap();
    let mut torn = std::fs::OpenOptions::new().append(true).open(newest).unwrap();
    std::io::Write::write_all(&mut torn, &[0x40, 0, 0, 0, 1, 2, 3]).unwrap();

    let _back = Proxy::start_at(NATS_URL, proxy.addr).await;
    let mut restarted = spawn(&config_path);
    let stored = || async {
        let mut stream = scope.js.get_stream(&scope.stream).await.unwrap();
        let count = stream.info().await.unwrap().state.messages as usize;
        let messages = read_stream(&scope.js, &scope.stream, count).await;
        let ids: HashSet<String> = messages
            .iter()
            .filter_map(|m| m.headers.as_ref()?.get("Nats-Msg-Id").map(|v| v.to_string()))
            .collect();
        ids
    };
    wait_for("every spooled event in the stream", async || {
        let ids = stored().await;
        spooled.iter().all(|id| ids.contains(id))
    })
    .await;
    assert_eq!(metric(admin, "spool_cut_bytes_total").await, 7, "the torn tail is counted");
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    scope.delete().await;
}
