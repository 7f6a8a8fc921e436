//! The bridge binary as a child process: free loopback ports, the config lines of an embedded
//! RedMist simulator with one hub on it, and reading the child's `/metrics`. Used by the tests
//! that must run the real process (signals, exit codes, `kill -9`).
#![allow(dead_code)]

/// A loopback port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `simulator:` on `sim` sending `rate` ticks a second, and `hubs:` with one RedMist hub `hub`
/// on it (event 42).
pub fn embedded_redmist(sim: u16, rate: u32, hub: &str) -> String {
    format!(
        "simulator: {{ listen: '127.0.0.1:{sim}', rate_per_sec: {rate}, cars: 8, event_id: 42 }}
hubs:
  - name: {hub}
    url: http://127.0.0.1:{sim}/status/event-status
    skip_negotiation: true
    profile: redmist
    redmist: {{ event_ids: [42] }}
"
    )
}

/// A metric from the child's `/metrics`, summed over its series (0 while it is not answering).
pub async fn metric(admin: u16, name: &str) -> u64 {
    let url = format!("http://127.0.0.1:{admin}/metrics");
    let Ok(response) = reqwest::get(&url).await else { return 0 };
    let text = response.text().await.unwrap_or_default();
    let prefix = format!("signalr_bridge_{name}");
    text.lines()
        .filter(|l| l.starts_with(&prefix) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// A child process killed when dropped, so a failed assertion leaves nothing running.
pub struct KillOnDrop(Option<std::process::Child>);

impl KillOnDrop {
    pub fn new(child: std::process::Child) -> KillOnDrop {
        KillOnDrop(Some(child))
    }

    pub fn get(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("not taken")
    }

    /// The child, no longer killed on drop (the caller waits for it).
    pub fn take(mut self) -> std::process::Child {
        self.0.take().expect("not taken")
    }
}

impl KillOnDrop {
    /// Waits for the child to end on its own within `limit` (the test fails otherwise): its
    /// exit code and what it wrote to stderr (captured by the caller's `Stdio::piped()`).
    pub async fn exits_within(&mut self, limit: std::time::Duration) -> (Option<i32>, String) {
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.get().try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < limit, "still running after {limit:?}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let mut log = String::new();
        if let Some(mut stderr) = self.get().stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
        }
        (status.code(), log)
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
