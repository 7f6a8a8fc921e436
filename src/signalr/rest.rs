//! Sends the HPC Pack REST reads the profile builds (`profile::hpcpack::rest`): one GET with
//! what its status means, and lists read page by page (`rowsPerRead`, then `queryId` from the
//! `x-ms-continuation-queryId` header). Gap healing (`reconcile`) reads jobs with it, discovery
//! lists them. What to read and how to parse the answers is the profile's.

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use url::Url;

use crate::profile::hpcpack::reconcile::RestJob;
use crate::profile::hpcpack::rest::{
    parse_job, parse_job_page, parse_task_page, JobQuery, ListedJob, ReconcileRequest,
    TASK_ROWS_PER_READ,
};

/// A guard against a server that never stops sending continuation ids.
const MAX_PAGES: usize = 1000;
const CONTINUATION: &str = "x-ms-continuation-queryId";

/// Why a job could not be read. The Authorization value never appears in one.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("HPC REST API rejected the credentials (HTTP 401).")]
    Unauthorized,
    #[error("HPC REST API denied access (HTTP 403).")]
    Forbidden,
    /// The job is gone (deleted, or never existed).
    #[error("HPC job {0} not found (HTTP 404).")]
    NotFound(i64),
    #[error("HPC REST API answered HTTP {status} for job {job}.")]
    Status { job: i64, status: u16 },
    #[error("HPC REST request failed: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("HPC REST answer for job {job} is not understood: {reason}")]
    Malformed { job: i64, reason: String },
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

/// Why a GET or a paged list failed, before the caller says what it was reading.
#[derive(Debug)]
enum Fetch {
    Unauthorized,
    Forbidden,
    NotFound,
    Status(u16),
    Transport(reqwest::Error),
    Malformed(String),
}

/// The job's state and every task's, read with `authorization` (e.g. `Basic …`) on each GET.
pub async fn fetch_job(
    http: &reqwest::Client,
    request: &ReconcileRequest,
    authorization: Option<&str>,
) -> Result<RestJob, RestError> {
    let job = request.job_id;
    let fail = |f| RestError::from_fetch(job, f);
    let auth = auth_header(authorization).map_err(fail)?;
    let (body, _) = get(http, request.job.clone(), auth.as_ref()).await.map_err(fail)?;
    let malformed = |reason| RestError::Malformed { job, reason };
    let state = parse_job(&body).map_err(malformed)?;
    let mut tasks = Vec::new();
    let rows = TASK_ROWS_PER_READ.to_string();
    pages(http, &request.tasks, &rows, auth.as_ref(), "task list", |page| {
        let read = parse_task_page(page)?;
        let count = read.len();
        tasks.extend(read);
        Ok(count)
    })
    .await
    .map_err(fail)?;
    Ok(RestJob { id: job, state, tasks })
}

/// Every job matching `query` under `hpc_base`, across all pages; `on_page` hears each page's
/// row count.
pub async fn list_jobs(
    http: &reqwest::Client,
    hpc_base: &Url,
    query: JobQuery<'_>,
    authorization: Option<&str>,
    mut on_page: impl FnMut(usize),
) -> Result<Vec<ListedJob>, ListError> {
    let auth = auth_header(authorization).map_err(ListError::from)?;
    let rows_per_read = query.rows_per_read.max(1).to_string();
    let mut jobs = Vec::new();
    pages(http, &query.url(hpc_base), &rows_per_read, auth.as_ref(), "job list", |page| {
        let read = parse_job_page(page)?;
        let count = read.len();
        on_page(count);
        jobs.extend(read);
        Ok(count)
    })
    .await?;
    Ok(jobs)
}

impl RestError {
    /// What a failed GET or task list means for reading job `job`.
    fn from_fetch(job: i64, fetch: Fetch) -> RestError {
        match fetch {
            Fetch::Unauthorized => RestError::Unauthorized,
            Fetch::Forbidden => RestError::Forbidden,
            Fetch::NotFound => RestError::NotFound(job),
            Fetch::Status(status) => RestError::Status { job, status },
            Fetch::Transport(e) => RestError::Transport(e),
            Fetch::Malformed(reason) => RestError::Malformed { job, reason },
        }
    }
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

/// The Authorization header value, marked sensitive so no debug print shows it.
fn auth_header(authorization: Option<&str>) -> Result<Option<HeaderValue>, Fetch> {
    match authorization.map(HeaderValue::from_str) {
        Some(Ok(mut value)) => {
            value.set_sensitive(true);
            Ok(Some(value))
        }
        Some(Err(_)) => Err(Fetch::Malformed("authorization is not a header value".into())),
        None => Ok(None),
    }
}

/// One GET: the body and the continuation id, or the error its status means.
async fn get(
    http: &reqwest::Client,
    url: Url,
    auth: Option<&HeaderValue>,
) -> Result<(bytes::Bytes, Option<String>), Fetch> {
    let mut request = http.get(url);
    if let Some(auth) = auth {
        request = request.header(AUTHORIZATION, auth.clone());
    }
    // Without the URL: a base configured as https://user:pass@head would leak otherwise.
    let transport = |e: reqwest::Error| Fetch::Transport(e.without_url());
    let response = request.send().await.map_err(transport)?;
    match response.status() {
        StatusCode::UNAUTHORIZED => return Err(Fetch::Unauthorized),
        StatusCode::FORBIDDEN => return Err(Fetch::Forbidden),
        StatusCode::NOT_FOUND => return Err(Fetch::NotFound),
        status if !status.is_success() => return Err(Fetch::Status(status.as_u16())),
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

/// Reads the list at `url` (its own query already set) page by page, `rows_per_read` rows at a
/// time, handing each page's body to `each`, which answers how many rows it held; `what` names
/// the list in the error when its pages never end.
async fn pages(
    http: &reqwest::Client,
    url: &Url,
    rows_per_read: &str,
    auth: Option<&HeaderValue>,
    what: &str,
    mut each: impl FnMut(&[u8]) -> Result<usize, String>,
) -> Result<(), Fetch> {
    let mut query_id: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut page = url.clone();
        page.query_pairs_mut().append_pair("rowsPerRead", rows_per_read);
        if let Some(id) = &query_id {
            page.query_pairs_mut().append_pair("queryId", id);
        }
        let (body, next) = get(http, page, auth).await?;
        let rows = each(&body).map_err(Fetch::Malformed)?;
        match next {
            Some(next) if rows > 0 => query_id = Some(next),
            _ => return Ok(()),
        }
    }
    Err(Fetch::Malformed(format!("{what} pages never end")))
}
