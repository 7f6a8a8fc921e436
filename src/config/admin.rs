//! The admin API's settings (`admin.api`): whether `/subscriptions` is served, the bearer token
//! that guards it, and where API-made subscriptions are kept across restarts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{invalid, ConfigError};
use super::{Config, Secret};

/// The state file's name when it defaults to the spool volume.
pub const STATE_FILE_NAME: &str = "subscriptions.json";

/// `GET/POST/DELETE /subscriptions` on the admin port: change what a running hub listens to.
/// Off by default; when on, every request must carry `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminApiConfig {
    /// Serve `/subscriptions`. Needs exactly one of `token`, `token_file`, `token_env`.
    #[serde(default)]
    pub enabled: bool,
    /// The bearer token callers must present. Prefer `token_file` or `token_env`
    /// (`SIGNALR_BRIDGE__ADMIN__API__TOKEN` also sets this key).
    #[serde(default)]
    pub token: Option<Secret>,
    /// A file holding the token (e.g. a mounted Kubernetes Secret), re-read on every request so
    /// a rotated token takes effect without a restart. Surrounding white space is ignored.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The name of an environment variable holding the token, read at start.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Where subscriptions added through the API are kept (JSON, replaced atomically), so a
    /// restart keeps them. Defaults to `subscriptions.json` beside `queue.spool.dir` (on the
    /// spool volume) when a spool is configured; without either, API changes last until the
    /// process ends (a warning says so at start).
    #[serde(default)]
    pub state_file: Option<PathBuf>,
}

impl Config {
    /// The admin API's state file: the configured one, else beside the spool directory.
    pub fn subscriptions_state_file(&self) -> Option<PathBuf> {
        if let Some(path) = &self.admin.api.state_file {
            return Some(path.clone());
        }
        let spool = self.queue.spool.as_ref()?;
        let parent = spool.dir.parent().filter(|p| !p.as_os_str().is_empty());
        Some(parent.unwrap_or(Path::new(".")).join(STATE_FILE_NAME))
    }
}

/// An enabled API has exactly one token source and a served admin port.
pub(super) fn validate_admin_api(config: &Config) -> Result<(), ConfigError> {
    let api = &config.admin.api;
    if !api.enabled {
        return Ok(());
    }
    if !config.admin.enabled {
        return Err(invalid(
            "admin.api.enabled",
            "the admin API needs the admin server",
            "set `admin.enabled: true` or `admin.api.enabled: false`",
        ));
    }
    let sources = [api.token.is_some(), api.token_file.is_some(), api.token_env.is_some()];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(invalid(
            "admin.api",
            "an enabled admin API needs exactly one of `token`, `token_file`, `token_env`",
            "mount the token from a Secret and set `token_file`",
        ));
    }
    if api.token.as_ref().is_some_and(|t| t.expose().trim().len() < 16) {
        return Err(invalid(
            "admin.api.token",
            "shorter than 16 characters",
            "use a long random token, e.g. `openssl rand -hex 32`",
        ));
    }
    if api.token_env.as_ref().is_some_and(|name| name.is_empty()) {
        return Err(invalid("admin.api.token_env", "is empty", "name an environment variable"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load, ConfigError};

    const HUB: &str = "
hubs:
  - name: live
    url: https://api.example/status/event-status
    profile: redmist
    redmist: { event_ids: [] }
sink: { kind: stdout }
";

    fn load_with(env: &[(&str, &str)]) -> Result<crate::config::Config, ConfigError> {
        let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        std::io::Write::write_all(&mut f, HUB.as_bytes()).unwrap();
        load(Some(f.path()), env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn invalid_key(result: Result<crate::config::Config, ConfigError>) -> String {
        match result {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("expected an invalid key, got {other:?}"),
        }
    }

    #[test]
    fn no_event_ids_need_the_api_and_the_api_needs_one_token_source() {
        assert_eq!(invalid_key(load_with(&[])), "hubs[0].redmist.event_ids");
        let on = ("SIGNALR_BRIDGE__ADMIN__API__ENABLED", "true");
        assert_eq!(invalid_key(load_with(&[on])), "admin.api");
        let short = ("SIGNALR_BRIDGE__ADMIN__API__TOKEN", "short");
        assert_eq!(invalid_key(load_with(&[on, short])), "admin.api.token");
        let token = ("SIGNALR_BRIDGE__ADMIN__API__TOKEN", "a-long-enough-token-0123");
        let file = ("SIGNALR_BRIDGE__ADMIN__API__TOKEN_FILE", "/run/token");
        assert_eq!(invalid_key(load_with(&[on, token, file])), "admin.api");
        let config = load_with(&[on, token]).unwrap();
        assert!(!format!("{config:?}").contains("a-long-enough-token"), "the token is redacted");
        let off = ("SIGNALR_BRIDGE__ADMIN__ENABLED", "false");
        assert_eq!(invalid_key(load_with(&[on, token, off])), "admin.api.enabled");
    }

    #[test]
    fn the_state_file_defaults_beside_the_spool() {
        let on = ("SIGNALR_BRIDGE__ADMIN__API__ENABLED", "true");
        let token = ("SIGNALR_BRIDGE__ADMIN__API__TOKEN", "a-long-enough-token-0123");
        assert_eq!(load_with(&[on, token]).unwrap().subscriptions_state_file(), None);
        let spool = ("SIGNALR_BRIDGE__QUEUE__SPOOL__DIR", "/data/spool");
        let path = load_with(&[on, token, spool]).unwrap().subscriptions_state_file();
        assert_eq!(path, Some("/data/subscriptions.json".into()));
        let explicit = ("SIGNALR_BRIDGE__ADMIN__API__STATE_FILE", "/x/state.json");
        let path = load_with(&[on, token, spool, explicit]).unwrap().subscriptions_state_file();
        assert_eq!(path, Some("/x/state.json".into()));
    }
}
