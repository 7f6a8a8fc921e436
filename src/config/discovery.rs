//! Discovery settings (`hubs[].discovery`): a REST poll that finds what a hub should listen to
//! (HPC Pack: running and queued jobs; RedMist: live events), its filters and its limit.

use serde::{Deserialize, Serialize};

use super::error::{invalid, ConfigError};
use super::{HubConfig, ProfileKind};

/// Finds what to subscribe to by polling the hub's REST API. HPC Pack: running and queued jobs
/// (`GET /hpc/jobs`), each listened to until some time after it ended
/// (`hpc_pack.stop_listening_after_terminal_secs`). RedMist: the public live events listing,
/// each event subscribed while it is live and unsubscribed once it is not.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Seconds between polls (the first runs at start).
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Follow at most this many discovered jobs or events at once; the rest wait for room
    /// (oldest job ids and events first).
    #[serde(default = "default_max_followed")]
    pub max_followed: usize,
    /// Only names matching this pattern (`*` any run, `?` one character, case-insensitive):
    /// HPC job names, RedMist event names.
    #[serde(default)]
    pub name_pattern: Option<String>,
    /// HPC Pack: only jobs of these owners (as the scheduler reports them, e.g. `CONTOSO\alice`;
    /// any case). Empty: every owner.
    #[serde(default)]
    pub owners: Vec<String>,
    /// HPC Pack: only jobs for this node group (the REST `NodeGroup` filter).
    #[serde(default)]
    pub node_group: Option<String>,
    /// RedMist: only events of these organization ids. Empty: every organization.
    #[serde(default)]
    pub organization_ids: Vec<i64>,
    /// RedMist: the live events listing; defaults to
    /// `<hub origin>/status/v2/Events/LoadLiveEvents` (public, no credentials sent).
    #[serde(default)]
    pub live_events_url: Option<url::Url>,
}

fn default_interval() -> u64 {
    30
}
fn default_max_followed() -> usize {
    100
}

/// Discovery belongs to the profiles that have something to discover, with filters of theirs.
pub(super) fn validate_discovery(
    hub: &HubConfig,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    let Some(d) = &hub.discovery else { return Ok(()) };
    let hpc_only = !d.owners.is_empty() || d.node_group.is_some();
    let redmist_only = !d.organization_ids.is_empty() || d.live_events_url.is_some();
    match hub.profile {
        ProfileKind::Generic => {
            return Err(invalid(
                key("discovery"),
                "a generic hub has nothing to discover",
                "use `profile: hpc_pack` or `profile: redmist`, or remove `discovery`",
            ))
        }
        ProfileKind::HpcPack if redmist_only => {
            return Err(invalid(
                key("discovery"),
                "`organization_ids` and `live_events_url` are for RedMist hubs",
                "filter HPC jobs with `owners`, `node_group` or `name_pattern`",
            ))
        }
        ProfileKind::Redmist if hpc_only => {
            return Err(invalid(
                key("discovery"),
                "`owners` and `node_group` are for HPC Pack hubs",
                "filter RedMist events with `organization_ids` or `name_pattern`",
            ))
        }
        _ => {}
    }
    if d.interval_secs == 0 || d.max_followed == 0 {
        return Err(invalid(
            key("discovery"),
            "`interval_secs` and `max_followed` must be above 0",
            "e.g. interval_secs: 30, max_followed: 100",
        ));
    }
    if d.name_pattern.as_deref().is_some_and(str::is_empty) {
        return Err(invalid(key("discovery.name_pattern"), "is empty", "use e.g. `nightly-*`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load, ConfigError};

    fn key_refused(hub: &str) -> Option<String> {
        let yaml = format!("hubs:\n  - name: h\n{hub}sink: {{ kind: stdout }}\n");
        let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        std::io::Write::write_all(&mut f, yaml.as_bytes()).unwrap();
        match load(Some(f.path()), Vec::new()) {
            Ok(_) => None,
            Err(ConfigError::Invalid { key, .. }) => Some(key),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn discovery_fits_its_profile_and_replaces_the_id_list() {
        let hpc = "    url: https://head/hpc\n    dialect: classic\n    profile: hpc_pack\n    \
                   hpc_pack: { job_ids: [] }\n";
        assert_eq!(key_refused(hpc).as_deref(), Some("hubs[0].hpc_pack.job_ids"));
        assert_eq!(key_refused(&format!("{hpc}    discovery: {{ owners: [a] }}\n")), None);
        let wrong = format!("{hpc}    discovery: {{ organization_ids: [1] }}\n");
        assert_eq!(key_refused(&wrong).as_deref(), Some("hubs[0].discovery"));
        let zero = format!("{hpc}    discovery: {{ interval_secs: 0 }}\n");
        assert_eq!(key_refused(&zero).as_deref(), Some("hubs[0].discovery"));
        let rm = "    url: https://x/status/event-status\n    profile: redmist\n    \
                  redmist: { event_ids: [] }\n    discovery: { node_group: g }\n";
        assert_eq!(key_refused(rm).as_deref(), Some("hubs[0].discovery"));
        let generic = "    url: https://x/hub\n    discovery: {}\n";
        assert_eq!(key_refused(generic).as_deref(), Some("hubs[0].discovery"));
    }
}
