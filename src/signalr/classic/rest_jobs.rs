//! Lists HPC Pack jobs in one state over the `/hpc` REST API, for discovery:
//! `GET {base}/jobs?properties=Id,Name,Owner,State&$filter=JobState eq <state>[ and NodeGroup eq
//! <group>]`, page by page (`rowsPerRead`, then `queryId` from `x-ms-continuation-queryId`). It
//! only reads and parses; what to follow is `crate::discovery`'s decision.

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use url::Url;

use super::rest::{value, Row, CONTINUATION, MAX_PAGES};

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
    let auth = match authorization.map(HeaderValue::from_str) {
        Some(Ok(mut value)) => {
            value.set_sensitive(true);
            Some(value)
        }
        Some(Err(_)) => return Err(ListError::Malformed("authorization is not a header".into())),
        None => None,
    };
    let mut filter = format!("JobState eq {}", query.state);
    if let Some(group) = query.node_group {
        filter.push_str(&format!(" and NodeGroup eq {group}"));
    }
    let mut jobs = Vec::new();
    let mut query_id: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut url = jobs_url(hpc_base);
        url.query_pairs_mut()
            .append_pair("properties", "Id,Name,Owner,State")
            .append_pair("$filter", &filter)
            .append_pair("rowsPerRead", &query.rows_per_read.max(1).to_string());
        if let Some(id) = &query_id {
            url.query_pairs_mut().append_pair("queryId", id);
        }
        let (body, next) = get(http, url, auth.as_ref()).await?;
        let rows: Vec<Row> =
            serde_json::from_slice(&body).map_err(|e| ListError::Malformed(e.to_string()))?;
        on_page(rows.len());
        let empty = rows.is_empty();
        for row in rows {
            jobs.push(parse_job(&row).map_err(ListError::Malformed)?);
        }
        match next {
            Some(next) if !empty => query_id = Some(next),
            _ => return Ok(jobs),
        }
    }
    Err(ListError::Malformed("job list pages never end".into()))
}

fn jobs_url(base: &Url) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push("jobs");
    }
    url
}

async fn get(
    http: &reqwest::Client,
    url: Url,
    auth: Option<&HeaderValue>,
) -> Result<(bytes::Bytes, Option<String>), ListError> {
    let mut request = http.get(url);
    if let Some(auth) = auth {
        request = request.header(AUTHORIZATION, auth.clone());
    }
    // Without the URL: a base configured as https://user:pass@head would leak otherwise.
    let transport = |e: reqwest::Error| ListError::Transport(e.without_url());
    let response = request.send().await.map_err(transport)?;
    match response.status() {
        StatusCode::UNAUTHORIZED => return Err(ListError::Unauthorized),
        StatusCode::FORBIDDEN => return Err(ListError::Forbidden),
        status if !status.is_success() => return Err(ListError::Status(status.as_u16())),
        _ => {}
    }
    let next = response
        .headers()
        .get(CONTINUATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok((response.bytes().await.map_err(transport)?, next))
}

fn parse_job(row: &Row) -> Result<ListedJob, String> {
    let text = |name: &str| value(&row.properties, name).unwrap_or_default().to_owned();
    let id = value(&row.properties, "Id").and_then(|v| v.parse::<i64>().ok());
    let id = id.ok_or_else(|| "a job row without an integer Id".to_owned())?;
    Ok(ListedJob { id, name: text("Name"), owner: text("Owner"), state: text("State") })
}
