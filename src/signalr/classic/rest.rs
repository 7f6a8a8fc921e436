//! Reads one HPC Pack job and its tasks over the `/hpc` REST API, for gap reconciliation
//! after a new connection. It only reads and parses; deciding what changed is
//! `profile::hpcpack::reconcile`'s job.
//!
//! Every value in HPC's property shape is a string (`{"Name":"State","Value":"Running"}`).
//! `GET /hpc/jobs/{id}` answers a bare property list in the published spec; a
//! `{"Properties":[…]}` object, or a list of one, is accepted too. Task lists come in pages
//! (`rowsPerRead`, default 10) chained by the `x-ms-continuation-queryId` header; the HTTP side
//! (one GET, the pages) is `rest_get`, shared with the job lister.

use reqwest::header::HeaderValue;
use serde::Deserialize;
use url::Url;

use super::rest_get::{self, Fetch};
use crate::profile::hpcpack::reconcile::{RestJob, RestTask};

/// Task rows asked for per page.
const ROWS_PER_READ: &str = "100";

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

#[derive(Debug, Deserialize)]
pub(super) struct Property {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Row {
    #[serde(rename = "Properties")]
    pub(super) properties: Vec<Property>,
}

/// The shapes a single job may come in.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum JobBody {
    Bare(Vec<Property>),
    Object(Row),
    Rows(Vec<Row>),
}

/// The job's state and every task's, read with `authorization` (e.g. `Basic …`) on each
/// request. `hpc_base` is what the hub is configured with, e.g. `https://head/hpc`.
pub async fn fetch_job(
    http: &reqwest::Client,
    hpc_base: &Url,
    job_id: i64,
    authorization: Option<&str>,
) -> Result<RestJob, RestError> {
    let fail = |f| RestError::from_fetch(job_id, f);
    let auth = rest_get::auth_header(authorization).map_err(fail)?;
    let mut url = job_url(hpc_base, job_id, &[]);
    url.query_pairs_mut().append_pair("properties", "Id,State");
    let (body, _) = rest_get::get(http, url, auth.as_ref()).await.map_err(fail)?;
    let state = parse_job(&body).map_err(|reason| malformed(job_id, reason))?;
    let tasks = fetch_tasks(http, hpc_base, job_id, auth.as_ref()).await.map_err(fail)?;
    Ok(RestJob { id: job_id, state, tasks })
}

async fn fetch_tasks(
    http: &reqwest::Client,
    hpc_base: &Url,
    job_id: i64,
    auth: Option<&HeaderValue>,
) -> Result<Vec<RestTask>, Fetch> {
    let mut url = job_url(hpc_base, job_id, &["tasks"]);
    url.query_pairs_mut().append_pair("properties", "TaskId,JobTaskId,InstanceId,State");
    let mut tasks = Vec::new();
    rest_get::pages(http, &url, ROWS_PER_READ, auth, "task list", |rows| {
        for row in rows {
            tasks.push(parse_task(&row.properties)?);
        }
        Ok(())
    })
    .await?;
    Ok(tasks)
}

/// `{base}/jobs/{id}/{rest…}`, whether or not the base ends in a slash.
fn job_url(base: &Url, job_id: i64, rest: &[&str]) -> Url {
    let id = job_id.to_string();
    let segments: Vec<&str> =
        ["jobs", id.as_str()].into_iter().chain(rest.iter().copied()).collect();
    rest_get::hpc_url(base, &segments)
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
            Fetch::Malformed(reason) => malformed(job, reason),
        }
    }
}

fn malformed(job: i64, reason: impl Into<String>) -> RestError {
    RestError::Malformed { job, reason: reason.into() }
}

pub(super) fn value<'a>(properties: &'a [Property], name: &str) -> Option<&'a str> {
    let found = properties.iter().find(|p| p.name.eq_ignore_ascii_case(name))?;
    found.value.as_deref().map(str::trim)
}

/// The job's `State` from any of the accepted shapes.
fn parse_job(body: &[u8]) -> Result<String, String> {
    let body: JobBody = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let properties = match body {
        JobBody::Bare(properties) | JobBody::Object(Row { properties }) => properties,
        JobBody::Rows(mut rows) if rows.len() == 1 => rows.remove(0).properties,
        JobBody::Rows(rows) => return Err(format!("{} job rows", rows.len())),
    };
    match value(&properties, "State") {
        Some(state) if !state.is_empty() => Ok(state.to_owned()),
        _ => Err("no State property".to_owned()),
    }
}

/// A task row. `TaskId` is `job.task` (`job.task.instance` for a sweep instance) on a real
/// server, so `JobTaskId` and `InstanceId` are preferred; a bare integer `TaskId` is the task.
fn parse_task(properties: &[Property]) -> Result<RestTask, String> {
    let int = |name: &str| value(properties, name).and_then(|v| v.parse::<i64>().ok());
    let dotted: Vec<i64> = value(properties, "TaskId")
        .and_then(|id| id.split('.').map(|part| part.parse().ok()).collect::<Option<_>>())
        .unwrap_or_default();
    let (from_id, instance_from_id) = match dotted.as_slice() {
        [task] => (Some(*task), None),
        [_, task] => (Some(*task), None),
        [_, task, instance] => (Some(*task), Some(*instance)),
        _ => (None, None),
    };
    let task_id = int("JobTaskId").or(from_id).ok_or("a task row without a task id")?;
    let instance_id = int("InstanceId").or(instance_from_id).unwrap_or(0);
    let state = match value(properties, "State") {
        Some(state) if !state.is_empty() => state.to_owned(),
        _ => return Err(format!("task {task_id} has no State")),
    };
    Ok(RestTask { task_id, instance_id, state })
}

#[cfg(test)]
#[path = "rest_tests.rs"]
mod tests;
