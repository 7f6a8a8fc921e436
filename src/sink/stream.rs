//! The byte-stream sinks: JSON lines to stdout or appended to a file. A batch counts as
//! delivered once written and flushed (and, for a file with `fsync`, synced to disk).
//! Routing and brokers are elsewhere.

use std::io;
use std::path::Path;

use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncWriteExt, Stdout};

use crate::event::Event;

/// Where the lines go.
#[derive(Debug)]
enum Output {
    Stdout(Stdout),
    File { file: File, fsync: bool },
}

/// A JSON-lines writer that keeps an unfinished batch across failed attempts.
#[derive(Debug)]
pub struct StreamSink {
    output: Output,
    /// The serialized batch being committed.
    buf: Vec<u8>,
    /// How much of `buf` the output already took; a retry resumes here, so a failed write
    /// never duplicates or tears a line.
    written: usize,
}

impl StreamSink {
    pub fn stdout() -> StreamSink {
        StreamSink::new(Output::Stdout(tokio::io::stdout()))
    }

    /// Opens `path` for appending, creating it if missing.
    pub async fn file(path: &Path, fsync: bool) -> io::Result<StreamSink> {
        let file = OpenOptions::new().create(true).append(true).open(path).await?;
        Ok(StreamSink::new(Output::File { file, fsync }))
    }

    fn new(output: Output) -> StreamSink {
        StreamSink { output, buf: Vec::with_capacity(64 * 1024), written: 0 }
    }

    /// Writes `batch` as JSON lines and makes it durable as configured.
    ///
    /// After an error, call again with the same batch: it is not serialized twice, and the
    /// write resumes where it stopped.
    pub async fn commit(&mut self, batch: &[Event]) -> io::Result<()> {
        if self.buf.is_empty() {
            for event in batch {
                encode_line(event, &mut self.buf);
            }
        }
        self.write_pending().await?;
        match &mut self.output {
            Output::Stdout(out) => out.flush().await?,
            Output::File { file, fsync } => {
                file.flush().await?;
                if *fsync {
                    file.sync_data().await?;
                }
            }
        }
        self.buf.clear();
        self.written = 0;
        Ok(())
    }

    async fn write_pending(&mut self) -> io::Result<()> {
        while self.written < self.buf.len() {
            let rest = &self.buf[self.written..];
            let n = match &mut self.output {
                Output::Stdout(out) => out.write(rest).await?,
                Output::File { file, .. } => file.write(rest).await?,
            };
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.written += n;
        }
        Ok(())
    }
}

/// One event as one line: the CloudEvents envelope, then `\n`.
pub fn encode_line(event: &Event, out: &mut Vec<u8>) {
    event.write_json(out);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;
    use crate::event::{EventType, WireId};

    fn event(record: u64, data: &str) -> Event {
        Event {
            id: WireId { connection: "c".into(), record }.event_id(0),
            source: "http://127.0.0.1/hub".into(),
            hub: "h".into(),
            kind: EventType::GenericInvocation,
            subject: "s".into(),
            time: time::OffsetDateTime::UNIX_EPOCH,
            partition_key: "k".into(),
            data: RawValue::from_string(data.into()).unwrap(),
        }
    }

    #[test]
    fn encode_line_is_one_json_object_per_line() {
        let mut out = Vec::new();
        encode_line(&event(1, r#"{"a":"x\ny"}"#), &mut out);
        encode_line(&event(2, "[1,2]"), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first["id"], "c:1");
        assert_eq!(first["data"]["a"], "x\ny");
        let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["id"], "c:2");
        assert_eq!(second["data"], serde_json::json!([1, 2]));
    }

    #[tokio::test]
    async fn commit_appends_to_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, "earlier\n").unwrap();
        let mut sink = StreamSink::file(&path, true).await.unwrap();
        sink.commit(&[event(1, "{}"), event(2, "{}")]).await.unwrap();
        sink.commit(&[event(3, "{}")]).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "earlier");
        let ids: Vec<String> = lines[1..]
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
            .collect();
        assert_eq!(ids, [r#""c:1""#, r#""c:2""#, r#""c:3""#]);
    }
}
