//! Segment files: `<first sequence, 20 digits>.seg`, a magic header, then records. Opening one
//! checks every record and cuts a corrupt or torn tail (what a crash mid-write leaves); reading
//! one returns the record at an offset.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::record::{self, RecordError, HEADER};

/// The first bytes of every segment: the format and its version.
pub const MAGIC: &[u8; 8] = b"SRBSPL1\n";

/// One segment's place in the spool.
#[derive(Debug)]
pub struct Segment {
    /// Sequence number of its first record.
    pub first: u64,
    /// Records in it.
    pub count: u64,
    /// Its length in bytes, header included.
    pub bytes: u64,
    pub path: PathBuf,
}

impl Segment {
    /// One past the sequence number of its last record.
    pub fn end(&self) -> u64 {
        self.first + self.count
    }
}

/// What checking a segment at open found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub count: u64,
    pub good_bytes: u64,
    /// Bytes after the last good record (cut from the file), and why they were refused.
    pub cut_bytes: u64,
    pub cut_reason: Option<RecordError>,
}

/// The file name of the segment starting at `first`.
pub fn path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.seg"))
}

/// The first sequence number a segment file name carries, if it is one.
pub fn first_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20).then(|| digits.parse().ok()).flatten()
}

/// Creates an empty segment (magic only).
pub fn create(path: &Path) -> std::io::Result<File> {
    let mut file = OpenOptions::new().create_new(true).append(true).read(true).open(path)?;
    file.write_all(MAGIC)?;
    Ok(file)
}

/// Checks every record of the segment at `path` and cuts what follows the last good one.
pub fn check(path: &Path) -> std::io::Result<Checked> {
    let bytes = std::fs::read(path)?;
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        // Not ours, or torn before the header was written: nothing in it can be trusted.
        let cut = bytes.len() as u64;
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(0)?;
        let mut file = OpenOptions::new().append(true).open(path)?;
        file.write_all(MAGIC)?;
        let reason = Some(RecordError::Payload("segment header missing".into()));
        return Ok(Checked {
            count: 0,
            good_bytes: MAGIC.len() as u64,
            cut_bytes: cut,
            cut_reason: reason,
        });
    }
    let mut at = MAGIC.len();
    let mut count = 0;
    let mut reason = None;
    while at < bytes.len() {
        match record::split(&bytes[at..]).and_then(|(p, used)| record::decode(p).map(|_| used)) {
            Ok(used) => {
                at += used;
                count += 1;
            }
            Err(e) => {
                reason = Some(e);
                break;
            }
        }
    }
    let cut_bytes = (bytes.len() - at) as u64;
    if cut_bytes > 0 {
        OpenOptions::new().write(true).open(path)?.set_len(at as u64)?;
    }
    Ok(Checked { count, good_bytes: at as u64, cut_bytes, cut_reason: reason })
}

/// Reads the record at `offset`: its checked payload and its whole length.
pub fn read_at(file: &File, offset: u64) -> Result<(Vec<u8>, u64), ReadError> {
    let mut header = [0u8; HEADER];
    file.read_exact_at(&mut header, offset).map_err(ReadError::Io)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if len > record::MAX_PAYLOAD {
        return Err(ReadError::Record(RecordError::Length(len)));
    }
    let mut whole = vec![0u8; HEADER + len];
    whole[..HEADER].copy_from_slice(&header);
    file.read_exact_at(&mut whole[HEADER..], offset + HEADER as u64).map_err(ReadError::Io)?;
    let (_, used) = record::split(&whole).map_err(ReadError::Record)?;
    whole.drain(..HEADER);
    Ok((whole, used as u64))
}

/// Why a record could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading the spool: {0}")]
    Io(std::io::Error),
    #[error("spool record: {0}")]
    Record(RecordError),
}
