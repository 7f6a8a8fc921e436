//! Lists HPC Pack jobs in one state over the `/hpc` REST API, for discovery:
//! `GET {base}/jobs?properties=Id,Name,Owner,State&$filter=JobState eq <state>[ and NodeGroup eq
//! <group>]`, page by page (`rowsPerRead`, then `queryId` from `x-ms-continuation-queryId`). It
//! only reads and parses; what to follow is `crate::discovery`'s decision.

use url::Url;

use super::rest::{value, Row};
use super::rest_get::{self, Fetch};

/// One job as the listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedJob {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub state: String,
}

/// What to list.
#[derive(Debug, Clone, Copy)]
pub struct JobQuery<'a> {
    /// `Running`, `Queued`, …
    pub state: &'a str,
    pub node_group: Option<&'a str>,
    pub rows_per_read: usize,
}

/// Why a listing failed. The Authorization value never appears in one.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("HPC REST API rejected the credentials (HTTP 401).")]
    Unauthorized,
    #[error("HPC REST API denied access (HTTP 403).")]
    Forbidden,
    #[error("HPC REST API answered HTTP {0} to the job listing.")]
    Status(u16),
    #[error("HPC REST request failed: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("HPC job listing is not understood: {0}")]
    Malformed(String),
}

/// Every job matching `query`, across all pages; `on_page` hears each page's row count.
pub async fn list_jobs(
    http: &reqwest::Client,
    hpc_base: &Url,
    query: JobQuery<'_>,
    authorization: Option<&str>,
    mut on_page: impl FnMut(usize),
) -> Result<Vec<ListedJob>, ListError> {
    let auth = rest_get::auth_header(authorization).map_err(ListError::from)?;
    let mut filter = format!("JobState eq {}", query.state);
    if let Some(group) = query.node_group {
        filter.push_str(&format!(" and NodeGroup eq {group}"));
    }
    let mut url = rest_get::hpc_url(hpc_base, &["jobs"]);
    url.query_pairs_mut()
        .append_pair("properties", "Id,Name,Owner,State")
        .append_pair("$filter", &filter);
    let rows_per_read = query.rows_per_read.max(1).to_string();
    let mut jobs = Vec::new();
    rest_get::pages(http, &url, &rows_per_read, auth.as_ref(), "job list", |rows| {
        on_page(rows.len());
        for row in rows {
            jobs.push(parse_job(&row)?);
        }
        Ok(())
    })
    .await?;
    Ok(jobs)
}

impl From<Fetch> for ListError {
    fn from(fetch: Fetch) -> ListError {
        match fetch {
            Fetch::Unauthorized => ListError::Unauthorized,
            Fetch::Forbidden => ListError::Forbidden,
            Fetch::NotFound => ListError::Status(404),
            Fetch::Status(status) => ListError::Status(status),
            Fetch::Transport(e) => ListError::Transport(e),
            Fetch::Malformed(reason) => ListError::Malformed(reason),
        }
    }
}

fn parse_job(row: &Row) -> Result<ListedJob, String> {
    let text = |name: &str| value(&row.properties, name).unwrap_or_default().to_owned();
    let id = value(&row.properties, "Id").and_then(|v| v.parse::<i64>().ok());
    let id = id.ok_or_else(|| "a job row without an integer Id".to_owned())?;
    Ok(ListedJob { id, name: text("Name"), owner: text("Owner"), state: text("State") })
}
