//! HPC Pack's `/hpc` REST API as requests and answers, without I/O: the URLs to GET and how to
//! read what comes back. `signalr::rest` sends them; `signalr::reconcile` (gap healing) and
//! `discovery` (job listing) decide what to ask.
//!
//! Every value in HPC's property shape is a string (`{"Name":"State","Value":"Running"}`).
//! `GET /hpc/jobs/{id}` answers a bare property list in the published spec; a
//! `{"Properties":[…]}` object, or a list of one, is accepted too. Lists (tasks, jobs) come in
//! pages of rows (`rowsPerRead`) chained by the `x-ms-continuation-queryId` header.

use serde::Deserialize;
use url::Url;

use super::reconcile::RestTask;

/// Task rows asked for per page when reading a job.
pub const TASK_ROWS_PER_READ: usize = 100;

/// The reads that tell one job's state and its tasks': the job, then its task list (paged).
/// The two answers together make a [`super::reconcile::RestJob`]. Its `Debug` shows paths
/// only: a hub URL may carry credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ReconcileRequest {
    pub job_id: i64,
    /// `GET` for the job's own state.
    pub job: Url,
    /// `GET`, page by page, for its tasks.
    pub tasks: Url,
}

impl ReconcileRequest {
    /// The reads of `job_id` under `base` (see [`rest_base`]).
    pub fn new(base: &Url, job_id: i64) -> ReconcileRequest {
        let id = job_id.to_string();
        let mut job = hpc_url(base, &["jobs", &id]);
        job.query_pairs_mut().append_pair("properties", "Id,State");
        let mut tasks = hpc_url(base, &["jobs", &id, "tasks"]);
        tasks.query_pairs_mut().append_pair("properties", "TaskId,JobTaskId,InstanceId,State");
        ReconcileRequest { job_id, job, tasks }
    }
}

impl std::fmt::Debug for ReconcileRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconcileRequest")
            .field("job_id", &self.job_id)
            .field("job", &self.job.path())
            .field("tasks", &self.tasks.path())
            .finish()
    }
}

/// A job listing for discovery: the jobs in one state, optionally on one node group.
#[derive(Debug, Clone, Copy)]
pub struct JobQuery<'a> {
    /// `Running`, `Queued`, …
    pub state: &'a str,
    pub node_group: Option<&'a str>,
    pub rows_per_read: usize,
}

impl JobQuery<'_> {
    /// `{base}/jobs?properties=Id,Name,Owner,State&$filter=JobState eq <state>[ and NodeGroup eq
    /// <group>]`, to read page by page.
    pub fn url(&self, base: &Url) -> Url {
        let mut filter = format!("JobState eq {}", self.state);
        if let Some(group) = self.node_group {
            filter.push_str(&format!(" and NodeGroup eq {group}"));
        }
        let mut url = hpc_url(base, &["jobs"]);
        url.query_pairs_mut()
            .append_pair("properties", "Id,Name,Owner,State")
            .append_pair("$filter", &filter);
        url
    }
}

/// One job as a listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedJob {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub state: String,
}

/// The REST base for a hub URL: `https://head/hpc` (or `…/hpc/signalr`) ⇒ `https://head/hpc`.
pub fn rest_base(hub_url: &Url) -> Url {
    let mut base = hub_url.clone();
    base.set_query(None);
    let path = base.path().trim_end_matches('/').trim_end_matches("/signalr").to_owned();
    base.set_path(&path);
    base
}

/// `{base}/{segments…}`, whether or not the base ends in a slash; no query.
fn hpc_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[derive(Debug, Deserialize)]
struct Property {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Row {
    #[serde(rename = "Properties")]
    properties: Vec<Property>,
}

/// The shapes a single job may come in.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum JobBody {
    Bare(Vec<Property>),
    Object(Row),
    Rows(Vec<Row>),
}

fn value<'a>(properties: &'a [Property], name: &str) -> Option<&'a str> {
    let found = properties.iter().find(|p| p.name.eq_ignore_ascii_case(name))?;
    found.value.as_deref().map(str::trim)
}

fn rows(page: &[u8]) -> Result<Vec<Row>, String> {
    serde_json::from_slice(page).map_err(|e| e.to_string())
}

/// The job's `State` from any of the accepted shapes of [`ReconcileRequest::job`]'s answer.
pub fn parse_job(body: &[u8]) -> Result<String, String> {
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

/// One page of [`ReconcileRequest::tasks`]' answer.
pub fn parse_task_page(page: &[u8]) -> Result<Vec<RestTask>, String> {
    rows(page)?.iter().map(|row| parse_task(&row.properties)).collect()
}

/// One page of a [`JobQuery`]'s answer.
pub fn parse_job_page(page: &[u8]) -> Result<Vec<ListedJob>, String> {
    rows(page)?.iter().map(|row| parse_listed(&row.properties)).collect()
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

fn parse_listed(properties: &[Property]) -> Result<ListedJob, String> {
    let text = |name: &str| value(properties, name).unwrap_or_default().to_owned();
    let id = value(properties, "Id").and_then(|v| v.parse::<i64>().ok());
    let id = id.ok_or_else(|| "a job row without an integer Id".to_owned())?;
    Ok(ListedJob { id, name: text("Name"), owner: text("Owner"), state: text("State") })
}

#[cfg(test)]
#[path = "rest_tests.rs"]
mod tests;
