//! The disk spool: a bounded, ordered log of events that did not fit in the in-memory queue,
//! kept in segment files with a checksum per record, read back in order, and deleted segment by
//! segment once the broker acknowledged every event in it. Survives a crash or `kill -9`: on
//! open, every segment is checked and a torn or corrupt tail is cut and reported.
//!
//! Synchronous file I/O, owned by one caller at a time (the queue puts it behind a lock). It does
//! not decide what happens when it is full: [`Spool::append`] says so and the caller applies the
//! configured policy ([`Spool::drop_oldest`] for dropping).
//!
//! - `record`: the record format (pure).
//! - `segment`: segment files, checking at open, reading at an offset.
//! - `lock`: one process per spool directory.

mod lock;
pub mod record;
mod segment;

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tracing::{error, warn};

use crate::event::Event;
use segment::{ReadError, Segment};

/// When appended records are forced to disk. Every append is written at once, so a killed
/// process loses nothing; fsync decides what a power loss or kernel crash can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    Interval(Duration),
    Never,
}

/// Where and how much.
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    pub dir: PathBuf,
    /// Most bytes on disk; an append past it is refused with [`SpoolError::Full`].
    pub max_bytes: u64,
    /// A segment is closed and a new one started past this size.
    pub segment_bytes: u64,
    pub fsync: Fsync,
}

/// What opening found on disk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Events left from an earlier run, to publish first.
    pub events: u64,
    /// Bytes cut from torn or corrupt segment tails.
    pub cut_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the spool is full ({max_bytes} bytes)")]
    Full { max_bytes: u64 },
    /// Another process has the directory open.
    #[error("spool directory {dir} is in use by another process (it holds {dir}/LOCK); fix: give each bridge process (each replica) its own queue.spool.dir, or stop the other one")]
    Locked { dir: String },
    #[error("spool directory {dir}: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// Where a new spool starts numbering: far enough from 0 that events can be put in front of
/// everything spooled ([`Spool::prepend`]) however often that happens.
const FIRST_SEQ: u64 = 1 << 40;

/// The spool. Sequence numbers count appended events from [`FIRST_SEQ`] across segments and
/// restarts.
pub struct Spool {
    options: SpoolOptions,
    /// This process's hold on the directory.
    _lock: lock::DirLock,
    segments: VecDeque<Segment>,
    /// The open file of the newest segment, while it takes appends.
    writer: Option<File>,
    last_sync: Instant,
    /// The next event to read: its sequence number, and where it is.
    read_seq: u64,
    read_offset: u64,
    reader: Option<(u64, File)>,
    /// Every event below this is acknowledged.
    acked: u64,
    bytes: u64,
    buffer: Vec<u8>,
}

impl Spool {
    /// Opens (creating) the directory and checks every segment left in it.
    pub fn open(options: SpoolOptions) -> Result<(Spool, Recovered), SpoolError> {
        let io = |source| SpoolError::Io { dir: options.dir.display().to_string(), source };
        std::fs::create_dir_all(&options.dir).map_err(io)?;
        let lock = lock::acquire(&options.dir)?;
        let mut firsts = Vec::new();
        for entry in std::fs::read_dir(&options.dir).map_err(io)? {
            let name = entry.map_err(io)?.file_name();
            firsts.extend(name.to_str().and_then(segment::first_of));
        }
        firsts.sort_unstable();
        let mut segments = VecDeque::new();
        let mut recovered = Recovered::default();
        for first in firsts {
            let path = segment::path(&options.dir, first);
            let checked = segment::check(&path).map_err(io)?;
            if let Some(reason) = &checked.cut_reason {
                error!(
                    path = %path.display(), cut_bytes = checked.cut_bytes, %reason,
                    "Spool segment had a torn or corrupt tail; cut it. Events in it are lost."
                );
            }
            recovered.cut_bytes += checked.cut_bytes;
            recovered.events += checked.count;
            if checked.count == 0 {
                // Nothing in it (a crash between creating it and its first record, or a torn
                // header). Kept, it would be the newest segment, and the first append would try
                // to create a file of the same name again and fail for ever.
                std::fs::remove_file(&path).map_err(io)?;
                continue;
            }
            let next = segments.back().map_or(first, Segment::end);
            if first < next {
                warn!(path = %path.display(), "Spool segment overlaps the one before; renumbered.");
            }
            let first = first.max(next);
            segments.push_back(Segment {
                first,
                count: checked.count,
                bytes: checked.good_bytes,
                path,
            });
        }
        let start = segments.front().map_or(FIRST_SEQ, |s| s.first);
        let spool = Spool {
            _lock: lock,
            bytes: segments.iter().map(|s| s.bytes).sum(),
            segments,
            writer: None,
            last_sync: Instant::now(),
            read_seq: start,
            read_offset: segment::MAGIC.len() as u64,
            reader: None,
            acked: start,
            buffer: Vec::new(),
            options,
        };
        Ok((spool, recovered))
    }

    /// Events appended and not yet acknowledged.
    pub fn pending(&self) -> u64 {
        self.next_seq() - self.acked
    }

    /// Events appended and not yet read.
    pub fn unread(&self) -> u64 {
        self.next_seq() - self.read_seq
    }

    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn next_seq(&self) -> u64 {
        self.segments.back().map_or(self.acked, Segment::end)
    }

    fn io(&self, source: std::io::Error) -> SpoolError {
        SpoolError::Io { dir: self.options.dir.display().to_string(), source }
    }

    /// Writes `event` at the end; returns its sequence number.
    pub fn append(&mut self, event: &Event) -> Result<u64, SpoolError> {
        self.buffer.clear();
        record::encode(event, &mut self.buffer);
        let len = self.buffer.len() as u64;
        if self.bytes + len > self.options.max_bytes && self.pending() > 0 {
            return Err(SpoolError::Full { max_bytes: self.options.max_bytes });
        }
        let full = self.segments.back().is_none_or(|s| s.bytes >= self.options.segment_bytes);
        if self.writer.is_none() || full {
            let first = self.next_seq();
            let path = segment::path(&self.options.dir, first);
            let file = segment::create(&path).map_err(|e| self.io(e))?;
            self.writer = Some(file);
            self.bytes += segment::MAGIC.len() as u64;
            self.segments.push_back(Segment {
                first,
                count: 0,
                bytes: segment::MAGIC.len() as u64,
                path,
            });
        }
        let seq = self.next_seq();
        let Some(file) = self.writer.as_mut() else { unreachable!("writer opened above") };
        if let Err(e) = file.write_all(&self.buffer) {
            self.writer = None; // a torn write: the next append starts a new segment
            return Err(self.io(e));
        }
        let sync = match self.options.fsync {
            Fsync::Always => true,
            Fsync::Interval(every) => self.last_sync.elapsed() >= every,
            Fsync::Never => false,
        };
        if sync {
            file.sync_data().map_err(|e| self.io(e))?;
            self.last_sync = Instant::now();
        }
        if let Some(last) = self.segments.back_mut() {
            last.count += 1;
            last.bytes += len;
        }
        self.bytes += len;
        Ok(seq)
    }

    /// The next unread event and its sequence number. A record that no longer reads back
    /// (damaged since it was written) ends its segment: the rest of it is skipped and logged.
    pub fn read_next(&mut self) -> Result<Option<(u64, Event)>, SpoolError> {
        while self.read_seq < self.next_seq() {
            let Some(index) = self.segments.iter().position(|s| s.end() > self.read_seq) else {
                break;
            };
            let (first, end, path) = {
                let s = &self.segments[index];
                (s.first, s.end(), s.path.clone())
            };
            if self.reader.as_ref().is_none_or(|(f, _)| *f != first) {
                let file = File::open(&path).map_err(|e| self.io(e))?;
                self.reader = Some((first, file));
                self.read_offset = segment::MAGIC.len() as u64;
                self.read_seq = first;
            }
            let Some((_, file)) = &self.reader else { break };
            match segment::read_at(file, self.read_offset).and_then(|(p, used)| {
                record::decode(&p).map(|e| (e, used)).map_err(ReadError::Record)
            }) {
                Ok((event, used)) => {
                    let seq = self.read_seq;
                    self.read_seq += 1;
                    self.read_offset += used;
                    return Ok(Some((seq, event)));
                }
                Err(reason) => {
                    error!(
                        path = %path.display(), skipped = end - self.read_seq, %reason,
                        "Spool record unreadable; skipped the rest of its segment."
                    );
                    self.read_seq = end;
                    self.reader = None;
                }
            }
        }
        Ok(None)
    }

    /// Records that every event up to and including `seq` was delivered; deletes segments that
    /// hold only delivered events.
    pub fn ack(&mut self, seq: u64) {
        self.acked = self.acked.max(seq + 1).min(self.next_seq());
        while let Some(s) = self.segments.front() {
            let last_and_open = self.segments.len() == 1 && self.acked < s.end();
            if s.end() > self.acked || last_and_open {
                break;
            }
            if self.segments.len() == 1 {
                self.writer = None;
            }
            self.remove_front();
        }
    }

    /// Puts `events` in front of everything spooled, in their order, as a segment of its own
    /// (for a hard stop: events still in memory that are older than the spooled ones). The last
    /// call on this spool: what it wrote is read when the spool is opened at the next start.
    pub fn prepend(&mut self, events: &[Event]) -> Result<(), SpoolError> {
        let first = self.segments.front().map_or(self.next_seq(), |s| s.first);
        let Some(start) = first.checked_sub(events.len() as u64) else {
            return Err(self.io(std::io::Error::other("no sequence numbers left to prepend")));
        };
        let path = segment::path(&self.options.dir, start);
        let mut file = segment::create(&path).map_err(|e| self.io(e))?;
        self.buffer.clear();
        for event in events {
            record::encode(event, &mut self.buffer);
        }
        file.write_all(&self.buffer).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))
    }

    /// Deletes the oldest segment whatever its state (the drop-oldest policy); returns how many
    /// events that threw away unacknowledged.
    pub fn drop_oldest(&mut self) -> u64 {
        let Some(s) = self.segments.front() else { return 0 };
        let lost = s.end() - self.acked.max(s.first);
        if self.segments.len() == 1 {
            self.writer = None;
        }
        let end = s.end();
        self.remove_front();
        self.acked = self.acked.max(end);
        self.read_seq = self.read_seq.max(end);
        lost
    }

    fn remove_front(&mut self) {
        let Some(s) = self.segments.pop_front() else { return };
        if self.reader.as_ref().is_some_and(|(f, _)| *f == s.first) {
            self.reader = None;
        }
        self.bytes -= s.bytes;
        if let Err(e) = std::fs::remove_file(&s.path) {
            warn!(path = %s.path.display(), error = %e, "Could not delete a spool segment.");
        }
        if self.segments.is_empty() {
            // Keep counting from here, so ids of later sequence numbers never repeat.
            self.acked = self.acked.max(s.end());
        }
    }
}

#[cfg(test)]
mod tests;
