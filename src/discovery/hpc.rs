//! HPC Pack discovery: running and queued jobs over `/hpc` REST, filtered by owner and name,
//! oldest first.

use super::{pattern, ScanError};
use crate::config::DiscoveryConfig;
use crate::profile::hpcpack::rest::{rest_base, JobQuery, ListedJob};
use crate::progress::Operation;
use crate::signalr::rest::list_jobs;
use crate::signalr::transport::Credentials;
use crate::signalr::Hub;
use crate::subs::Target;

/// The states worth listening to: a job in either still has events to come.
const STATES: [&str; 2] = ["Running", "Queued"];
const ROWS_PER_READ: usize = 100;

pub async fn scan(
    hub: &Hub,
    config: &DiscoveryConfig,
    mut op: Option<&mut Operation>,
) -> Result<Vec<Target>, ScanError> {
    let credentials = |e: crate::signalr::SessionError| ScanError::Credentials(e.to_string());
    // With OAuth2 the cached token serves; otherwise what a connect would send.
    let authorization = match hub.client.auth.bearer_now(None).await.map_err(credentials)? {
        Some(token) => Some(Credentials::Bearer(token).header()),
        None => hub.client.auth.for_connect().await.map_err(credentials)?.map(|c| c.header()),
    };
    let base = rest_base(&hub.spec.config.url);
    let mut jobs = Vec::new();
    for state in STATES {
        let query = JobQuery {
            state,
            node_group: config.node_group.as_deref(),
            rows_per_read: ROWS_PER_READ,
        };
        let on_page = |rows: usize| {
            if let Some(op) = op.as_deref_mut() {
                op.advance(rows as u64);
            }
        };
        let listed =
            list_jobs(&hub.client.transport.http, &base, query, authorization.as_deref(), on_page);
        jobs.extend(listed.await?);
    }
    Ok(select(jobs, config))
}

/// The jobs the filters let through, by id, each once.
fn select(mut jobs: Vec<ListedJob>, config: &DiscoveryConfig) -> Vec<Target> {
    jobs.retain(|job| {
        let owner_ok = config.owners.is_empty()
            || config.owners.iter().any(|o| o.eq_ignore_ascii_case(&job.owner));
        let name_ok = config.name_pattern.as_deref().is_none_or(|p| pattern::matches(p, &job.name));
        owner_ok && name_ok
    });
    jobs.sort_by_key(|job| job.id);
    jobs.dedup_by_key(|job| job.id);
    jobs.into_iter().map(|job| Target::HpcJob { job_id: job.id }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64, name: &str, owner: &str) -> ListedJob {
        ListedJob { id, name: name.into(), owner: owner.into(), state: "Running".into() }
    }

    fn config(json: serde_json::Value) -> DiscoveryConfig {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn select_filters_by_owner_and_name_and_orders_by_id() {
        let jobs = vec![
            job(9, "nightly-a", "CONTOSO\\alice"),
            job(3, "nightly-b", "CONTOSO\\bob"),
            job(5, "adhoc", "contoso\\ALICE"),
            job(3, "nightly-b", "CONTOSO\\bob"),
        ];
        let ids = |c| {
            select(jobs.clone(), &c).into_iter().map(|t| t.key().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(ids(config(serde_json::json!({}))), ["job-3", "job-5", "job-9"]);
        assert_eq!(
            ids(config(serde_json::json!({"owners": ["contoso\\alice"]}))),
            ["job-5", "job-9"]
        );
        assert_eq!(
            ids(config(serde_json::json!({"name_pattern": "nightly-*"}))),
            ["job-3", "job-9"]
        );
    }
}
