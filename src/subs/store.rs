//! The state file: the admin API's subscriptions per hub, as one small JSON document, so a
//! restart keeps them. Replaced atomically (a temporary file beside it, fsync, rename, fsync of
//! the directory): a crash leaves the old file or the new one, never half of either.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Target;

const VERSION: u32 = 1;

/// Subscriptions by hub name.
pub type Saved = BTreeMap<String, Vec<Target>>;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u32,
    hubs: Saved,
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not a subscriptions state file: {reason}")]
    Invalid { path: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// The state file at one path; writes are serialized.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writing: tokio::sync::Mutex<()>,
}

impl Store {
    pub fn new(path: PathBuf) -> Store {
        Store { path, writing: tokio::sync::Mutex::new(()) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds; nothing when it does not exist yet.
    pub fn load(&self) -> Result<Saved, StoreError> {
        load(&self.path)
    }

    /// Replaces the file with what `current` gives, taken while no other save runs: two
    /// concurrent changes cannot write their views in the wrong order. Off the async threads.
    pub async fn save(&self, current: impl FnOnce() -> Saved) -> Result<(), StoreError> {
        let _one_at_a_time = self.writing.lock().await;
        let saved = current();
        let path = self.path.clone();
        let written = tokio::task::spawn_blocking(move || save(&path, &saved)).await;
        written.unwrap_or_else(|e| {
            Err(StoreError::Write { path: self.path.display().to_string(), source: e.into() })
        })
    }
}

/// Reads `path`; a missing file is an empty state.
pub fn load(path: &Path) -> Result<Saved, StoreError> {
    let shown = || path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Saved::new()),
        Err(source) => return Err(StoreError::Read { path: shown(), source }),
    };
    let document: Document = serde_json::from_slice(&text)
        .map_err(|e| StoreError::Invalid { path: shown(), reason: e.to_string() })?;
    if document.version != VERSION {
        let reason = format!("version {} (this bridge writes {VERSION})", document.version);
        return Err(StoreError::Invalid { path: shown(), reason });
    }
    Ok(document.hubs)
}

/// Writes `saved` to `path` atomically, creating its directory if needed.
pub fn save(path: &Path, saved: &Saved) -> Result<(), StoreError> {
    let failed = |source| StoreError::Write { path: path.display().to_string(), source };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(failed)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let document = Document { version: VERSION, hubs: saved.clone() };
    let mut bytes = serde_json::to_vec_pretty(&document).map_err(|e| failed(e.into()))?;
    bytes.push(b'\n');
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // The rename is durable only once the directory entry is.
        std::fs::File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        failed(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("subscriptions.json");
        assert!(load(&path).unwrap().is_empty(), "a missing file is an empty state");
        let mut saved = Saved::new();
        saved.insert("hpc".into(), vec![Target::HpcJob { job_id: 7 }]);
        save(&path, &saved).unwrap();
        assert_eq!(load(&path).unwrap(), saved);
        saved.insert("rm".into(), vec![Target::RedmistEvent { event_id: 42 }]);
        save(&path, &saved).unwrap();
        assert_eq!(load(&path).unwrap(), saved);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["subscriptions.json"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_changes_all_reach_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::new(dir.path().join("subscriptions.json")));
        let set = crate::subs::Set::new();
        let tasks: Vec<_> = (1..=20)
            .map(|job| {
                let (store, set) = (store.clone(), set.clone());
                tokio::spawn(async move {
                    set.add(Target::HpcJob { job_id: job }, crate::subs::Origin::Api);
                    let current = || Saved::from([("hpc".to_owned(), set.persisted())]);
                    store.save(current).await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(store.load().unwrap()["hpc"].len(), 20, "the last write saw every change");
    }

    #[test]
    fn a_garbled_or_foreign_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("subscriptions.json");
        std::fs::write(&path, b"{not json").unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(error.contains("subscriptions.json"), "{error}");
        std::fs::write(&path, br#"{"version":9,"hubs":{}}"#).unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("version 9"));
    }
}
