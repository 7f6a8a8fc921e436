//! Contender processes: spawned with piped output, waited on until ready, measured from
//! `/proc` (CPU time of all threads, resident memory now and at peak), and killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running contender. Dropping it kills the process.
pub struct Proc {
    pub name: String,
    child: Child,
    ready: mpsc::Receiver<()>,
    stderr_tail: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// CPU seconds (user + system, all threads) and memory of a process at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub cpu_secs: f64,
    pub rss_mb: f64,
    /// The anonymous part of the RSS (heap, stacks), without the binary's mapped code pages.
    pub anon_mb: f64,
    pub peak_rss_mb: f64,
}

fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

impl Proc {
    /// Spawns `command`; a line `ready` on its stdout marks it ready (see [`Proc::wait_ready`]).
    pub fn spawn(name: &str, mut command: Command) -> Proc {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child =
            command.spawn().unwrap_or_else(|e| panic!("compare: cannot start {name}: {e}"));
        let (tx, ready) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "ready" {
                    let _ = tx.send(());
                }
            }
        });
        let stderr_tail = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tail = stderr_tail.clone();
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut tail = tail.lock().unwrap();
                tail.push(line);
                if tail.len() > 20 {
                    tail.remove(0);
                }
            }
        });
        Proc { name: name.to_string(), child, ready, stderr_tail }
    }

    /// Waits for `ready` on stdout; panics with the process's last words when it exits first.
    pub fn wait_ready(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.ready.recv_timeout(Duration::from_millis(100)).is_ok() {
                return;
            }
            self.check_alive();
        }
        panic!("compare: {} not ready after {limit:?}: {}", self.name, self.last_words());
    }

    /// Panics when the process has exited (a contender must run until the bench stops it).
    pub fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("compare: {} exited ({status}): {}", self.name, self.last_words());
        }
    }

    pub fn last_words(&self) -> String {
        self.stderr_tail.lock().unwrap().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time and memory now, from `/proc/<pid>/stat` and `/proc/<pid>/status`.
    pub fn sample(&self) -> Sample {
        sample(self.pid()).unwrap_or_default()
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn stop(mut self, grace: Duration) {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds, RSS and peak RSS of `pid`.
pub fn sample(pid: u32) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some(Sample {
        cpu_secs: ticks / clock_ticks(),
        rss_mb: kb("VmRSS:") / 1024.0,
        anon_mb: kb("RssAnon:") / 1024.0,
        peak_rss_mb: kb("VmHWM:") / 1024.0,
    })
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
