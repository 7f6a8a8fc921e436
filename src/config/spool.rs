//! The disk spool's settings (`queue.spool`): where it lives, how big it may grow, how often it
//! is forced to disk, and what happens when it is full.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Config;
use crate::spool::{Fsync, SpoolOptions};

/// When the in-memory queue is full (broker slow or down), events go to this on-disk log
/// instead of pausing the hubs, and are published from it in order once the broker takes them.
/// Events left in it by a crash or `kill -9` are published after the restart.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolConfig {
    /// Directory of the segment files; give it a volume of its own (it is created if missing).
    pub dir: PathBuf,
    /// Most bytes the spool may hold on disk.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Size at which a segment file is closed and a new one started; whole segments are deleted
    /// once every event in them is acknowledged.
    #[serde(default = "default_segment_bytes")]
    pub segment_bytes: u64,
    /// When appends are forced to disk: `always` (each append), `interval` (at most every
    /// `fsync_interval_ms`) or `never` (the OS decides). Every append is written at once, so a
    /// killed process loses nothing either way; this is about power loss.
    #[serde(default)]
    pub fsync: FsyncPolicy,
    /// The `interval` policy's period.
    #[serde(default = "default_fsync_interval_ms")]
    pub fsync_interval_ms: u64,
    /// The longest broker outage the spool is meant to bridge. A JetStream stream the bridge
    /// creates gets a duplicate window at least this long, so an event re-sent after such an
    /// outage is still recognised by its `Nats-Msg-Id`; an existing stream with a shorter window
    /// is reported at start.
    #[serde(default = "default_max_outage_secs")]
    pub max_outage_secs: u64,
    /// When the spool is full too: `block` (pause the hubs until the broker catches up; nothing
    /// is lost) or `drop_oldest` (delete the oldest segment, counted and logged at ERROR).
    #[serde(default)]
    pub when_full: WhenFull,
}

/// How often the spool is forced to disk.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    Always,
    #[default]
    Interval,
    Never,
}

/// What a full spool does.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    #[default]
    Block,
    DropOldest,
}

fn default_max_bytes() -> u64 {
    1 << 30
}
fn default_segment_bytes() -> u64 {
    64 << 20
}
fn default_max_outage_secs() -> u64 {
    3_600
}
fn default_fsync_interval_ms() -> u64 {
    1_000
}

impl SpoolConfig {
    /// The spool's own options.
    pub fn options(&self) -> SpoolOptions {
        SpoolOptions {
            dir: self.dir.clone(),
            max_bytes: self.max_bytes,
            segment_bytes: self.segment_bytes,
            fsync: match self.fsync {
                FsyncPolicy::Always => Fsync::Always,
                FsyncPolicy::Interval => {
                    Fsync::Interval(Duration::from_millis(self.fsync_interval_ms))
                }
                FsyncPolicy::Never => Fsync::Never,
            },
        }
    }
}

impl Config {
    /// JetStream de-duplicates only inside its window: with a spool, the window of a stream the
    /// bridge creates is widened to the longest outage the spool is meant to bridge.
    pub(super) fn cover_outages_in_duplicate_window(&mut self) {
        let Some(spool) = &self.queue.spool else { return };
        let stream = self.sink.nats.as_mut().and_then(|n| n.stream.as_mut());
        if let Some(stream) = stream {
            stream.duplicate_window_secs = stream.duplicate_window_secs.max(spool.max_outage_secs);
        }
    }
}
