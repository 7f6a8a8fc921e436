//! One process per spool directory: an exclusive OS lock (`flock`) on the `LOCK` file in it, held
//! as long as the spool is open. Two bridges appending to and deleting the same segments would
//! corrupt each other's order and acknowledgements; the second one refuses to start instead.
//! The OS releases the lock when the process ends however it ends, `kill -9` included, so a
//! crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use super::SpoolError;

/// The lock file's name inside the spool directory.
pub const LOCK_FILE: &str = "LOCK";

/// Held while the spool is open; dropping it releases the lock.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: File,
}

/// Takes the directory's lock, or says who holds it.
pub(super) fn acquire(dir: &Path) -> Result<DirLock, SpoolError> {
    let shown = dir.display().to_string();
    let path = dir.join(LOCK_FILE);
    let io = |source| SpoolError::Io { dir: shown.clone(), source };
    let file =
        OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(SpoolError::Locked { dir: shown }),
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}
