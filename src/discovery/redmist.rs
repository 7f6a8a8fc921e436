//! RedMist discovery: the status API's public live events listing (`LoadLiveEvents`, a JSON
//! list of `EventListSummary` with short names: `eid` id, `oid` organization, `en` name, `l`
//! live), filtered by organization and name. No credentials are sent: the listing is anonymous.

use serde::Deserialize;

use super::{pattern, ScanError};
use crate::config::DiscoveryConfig;
use crate::progress::Operation;
use crate::signalr::Hub;
use crate::subs::Target;

/// A listing larger than this is refused rather than buffered.
const MAX_BODY_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, Deserialize)]
struct Summary {
    #[serde(rename = "eid")]
    id: i64,
    #[serde(rename = "oid", default)]
    organization: Option<i64>,
    #[serde(rename = "en", default)]
    name: Option<String>,
    #[serde(rename = "l", default)]
    live: Option<bool>,
}

pub async fn scan(
    hub: &Hub,
    config: &DiscoveryConfig,
    op: Option<&mut Operation>,
) -> Result<Vec<Target>, ScanError> {
    let url = match &config.live_events_url {
        Some(url) => url.clone(),
        // As the snapshot URL: `…/status/event-status` ⇒ `…/status/v2/Events/LoadLiveEvents`.
        None => hub
            .spec
            .config
            .url
            .join("v2/Events/LoadLiveEvents")
            .unwrap_or(hub.spec.config.url.clone()),
    };
    let http = |e: reqwest::Error| ScanError::Http(e.without_url().to_string());
    let request =
        hub.client.transport.http.get(url).header(reqwest::header::ACCEPT, "application/json");
    let mut response = request.send().await.map_err(http)?;
    if !response.status().is_success() {
        return Err(ScanError::Http(format!("HTTP {}", response.status().as_u16())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ScanError::Malformed(format!("larger than {MAX_BODY_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let listed: Vec<Summary> =
        serde_json::from_slice(&body).map_err(|e| ScanError::Malformed(e.to_string()))?;
    if let Some(op) = op {
        op.advance(listed.len() as u64);
    }
    Ok(select(listed, config))
}

/// The live events the filters let through, in listing order, each once.
fn select(listed: Vec<Summary>, config: &DiscoveryConfig) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    for event in listed {
        let org_ok = config.organization_ids.is_empty()
            || event.organization.is_some_and(|o| config.organization_ids.contains(&o));
        let name = event.name.as_deref().unwrap_or_default();
        let name_ok = config.name_pattern.as_deref().is_none_or(|p| pattern::matches(p, name));
        let target = Target::RedmistEvent { event_id: event.id };
        if event.live != Some(false)
            && org_ok
            && name_ok
            && event.id > 0
            && !targets.contains(&target)
        {
            targets.push(target);
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_keeps_live_events_of_the_wanted_organizations_and_names() {
        let listed: Vec<Summary> = serde_json::from_str(
            r#"[{"eid":7,"oid":1,"on":"Club","en":"Spring Sprint","ed":"2026-05-01","l":true,"t":"Track","s":null},
                {"eid":8,"oid":2,"en":"Endurance 12h","l":true},
                {"eid":9,"oid":1,"en":"Old race","l":false},
                {"eid":7,"oid":1,"en":"Spring Sprint","l":true},
                {"eid":10,"en":"No org","extra":[1,2]}]"#,
        )
        .unwrap();
        let config = |json| serde_json::from_value::<DiscoveryConfig>(json).unwrap();
        let ids = |c: DiscoveryConfig, listed: &[Summary]| {
            let chosen = select(listed.to_vec(), &c);
            chosen.into_iter().map(|t| t.key().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(ids(config(serde_json::json!({})), &listed), ["event-7", "event-8", "event-10"]);
        assert_eq!(ids(config(serde_json::json!({"organization_ids": [1]})), &listed), ["event-7"]);
        assert_eq!(
            ids(config(serde_json::json!({"name_pattern": "*sprint*"})), &listed),
            ["event-7"]
        );
    }
}
