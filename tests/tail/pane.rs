//! A tmux pane as the pseudo-terminal: start a command in a detached session on a private tmux
//! server (its own socket, so no one else's tmux is touched), read the screen, wait for text
//! with a deadline. Dropping the pane kills its server.

use std::process::Command;
use std::time::{Duration, Instant};

/// How long a screen may take to show what a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub struct Pane {
    socket: String,
    _dir: tempfile::TempDir,
}

fn tmux(socket: &str) -> Command {
    let mut command = Command::new("tmux");
    command.args(["-L", socket]);
    command
}

impl Pane {
    /// Runs `args` (program first) in a 160x48 pane with `env` added to its environment. The
    /// pane stays after the program exits, so its last screen can still be read.
    pub fn start(args: &[String], env: &[(&str, &str)]) -> Pane {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("tmux.conf");
        std::fs::write(&conf, "set -g remain-on-exit on\nset -g history-limit 5000\n").unwrap();
        let socket = format!("sb-tail-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let mut command = tmux(&socket);
        command.arg("-f").arg(&conf);
        command.args(["new-session", "-d", "-s", "t", "-x", "160", "-y", "48"]);
        for (key, value) in env {
            command.args(["-e", &format!("{key}={value}")]);
        }
        command.args(args);
        let status = command.status().expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed: {status}");
        Pane { socket, _dir: dir }
    }

    /// The screen and its scrollback as text; with `escapes`, with tmux's colour sequences.
    pub fn screen(&self, escapes: bool) -> String {
        let mut command = tmux(&self.socket);
        command.args(["capture-pane", "-p", "-J", "-S", "-", "-t", "t"]);
        if escapes {
            command.arg("-e");
        }
        let out = command.output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen's last non-empty line (where the footer is).
    pub fn last_line(&self) -> String {
        let out = tmux(&self.socket)
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .expect("tmux capture-pane");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_owned()
    }

    /// Waits until `done` holds for the screen; panics with the screen at the deadline.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + DEADLINE;
        loop {
            let screen = self.screen(false);
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < until, "no {what} on the screen in {DEADLINE:?}:\n{screen}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `keys` (tmux key names, e.g. `C-c`).
    pub fn send_keys(&self, keys: &str) {
        let status = tmux(&self.socket).args(["send-keys", "-t", "t", keys]).status().unwrap();
        assert!(status.success());
    }

    /// Whether the program in the pane has exited.
    pub fn exited(&self) -> bool {
        let out = tmux(&self.socket)
            .args(["display-message", "-p", "-t", "t", "#{pane_dead}"])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = tmux(&self.socket).arg("kill-server").status();
    }
}
