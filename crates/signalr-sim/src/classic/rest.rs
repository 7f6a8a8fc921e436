//! The HPC Pack REST API subset a bridge reconciles with and discovers from: `GET /hpc/jobs`
//! (`$filter` clauses `JobState eq …` and `NodeGroup eq …` joined by `and`),
//! `GET /hpc/jobs/{id}` and `GET /hpc/jobs/{id}/tasks`, in HPC's `{"Name":…,"Value":"…"}`
//! property shape (every value a string), behind the same Basic auth. As on a real server,
//! `TaskId` is `job.task` (`job.task.instance` for a sweep instance), and job and task lists come
//! `rowsPerRead` rows (default 10) at a time, chained by `x-ms-continuation-queryId` → `queryId`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::hpc::{Job, Task};
use super::server::{basic_user, unauthorized, Params};
use super::state::Shared;

const JOB_DEFAULT: &str = "Id,Owner,Name,State,Priority";
const TASK_DEFAULT: &str = "TaskId,State,ParentJobId,JobTaskId,InstanceId";
const ROWS_PER_READ: usize = 10;
const CONTINUATION: &str = "x-ms-continuation-queryId";

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/hpc/jobs", get(jobs))
        .route("/hpc/jobs/{id}", get(job))
        .route("/hpc/jobs/{id}/tasks", get(tasks))
}

#[derive(Serialize)]
struct Property {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: String,
}

#[derive(Serialize)]
struct Row {
    #[serde(rename = "Properties")]
    properties: Vec<Property>,
}

/// The requested properties of one record; unknown names are left out.
fn properties(names: &str, value_of: impl Fn(&str) -> Option<String>) -> Vec<Property> {
    names
        .split(',')
        .map(str::trim)
        .filter_map(|name| value_of(name).map(|value| Property { name: name.to_string(), value }))
        .collect()
}

fn job_value(job: &Job, name: &str) -> Option<String> {
    Some(match name {
        "Id" => job.id.to_string(),
        "Name" => job.name.clone(),
        "Owner" => job.owner.clone(),
        "State" => job.state.to_string(),
        "Priority" => job.priority.to_string(),
        "NodeGroups" => job.node_groups.join(","),
        _ => return None,
    })
}

fn task_value(job: u32, task: &Task, name: &str) -> Option<String> {
    Some(match name {
        "TaskId" if task.instance == 0 => format!("{job}.{}", task.id),
        "TaskId" => format!("{job}.{}.{}", task.id, task.instance),
        "JobTaskId" => task.id.to_string(),
        "ParentJobId" | "JobId" => job.to_string(),
        "InstanceId" => task.instance.to_string(),
        "State" => task.state.to_string(),
        _ => return None,
    })
}

/// The `<field> eq <value>` clauses of a `$filter`, joined by `and` (any case), as
/// (field, value) pairs; `Err` for anything else.
fn filter_clauses(params: &HashMap<String, String>) -> Result<Vec<(String, String)>, ()> {
    let Some(filter) = params.get("$filter") else { return Ok(Vec::new()) };
    let words: Vec<&str> = filter.split_whitespace().collect();
    let mut clauses = Vec::new();
    for clause in words.split(|w| w.eq_ignore_ascii_case("and")) {
        match clause {
            [field, op, value] if op.eq_ignore_ascii_case("eq") => {
                clauses.push((field.to_string(), value.to_string()))
            }
            _ => return Err(()),
        }
    }
    Ok(clauses)
}

/// The state a `$filter` of `<field> eq <State>` asks for; `Err` for any other filter.
fn state_filter(params: &HashMap<String, String>, field: &str) -> Result<Option<String>, ()> {
    match filter_clauses(params)?.as_slice() {
        [] => Ok(None),
        [(f, state)] if f.eq_ignore_ascii_case(field) => Ok(Some(state.clone())),
        _ => Err(()),
    }
}

/// Whether `job` passes every `JobState` / `NodeGroup` clause; `Err` for another field.
fn job_matches(job: &Job, clauses: &[(String, String)]) -> Result<bool, ()> {
    for (field, value) in clauses {
        let ok = if field.eq_ignore_ascii_case("JobState") {
            value.eq_ignore_ascii_case(job.state)
        } else if field.eq_ignore_ascii_case("NodeGroup") {
            job.node_groups.iter().any(|g| g.eq_ignore_ascii_case(value))
        } else {
            return Err(());
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn jobs(State(shared): State<Arc<Shared>>, headers: HeaderMap, params: Params) -> Response {
    if basic_user(&shared, &headers).is_none() {
        return unauthorized();
    }
    let Ok(clauses) = filter_clauses(&params) else {
        return (StatusCode::BAD_REQUEST, "Unsupported $filter.").into_response();
    };
    let names = params.get("properties").map_or(JOB_DEFAULT, String::as_str);
    let rows: Result<Vec<Row>, ()> = shared.read_model(|model| {
        let mut rows = Vec::new();
        for job in model.jobs() {
            if job_matches(job, &clauses)? {
                rows.push(Row { properties: properties(names, |n| job_value(job, n)) });
            }
        }
        Ok(rows)
    });
    match rows {
        Ok(rows) => page(rows, &params),
        Err(()) => (StatusCode::BAD_REQUEST, "Unsupported $filter.").into_response(),
    }
}

/// One job as a bare property list (the "get a job" shape).
async fn job(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
    params: Params,
) -> Response {
    if basic_user(&shared, &headers).is_none() {
        return unauthorized();
    }
    let names = params.get("properties").map_or(JOB_DEFAULT, String::as_str);
    match shared.read_model(|m| m.job(id).map(|j| properties(names, |n| job_value(j, n)))) {
        Some(props) => Json(props).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn tasks(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<u32>,
    params: Params,
) -> Response {
    if basic_user(&shared, &headers).is_none() {
        return unauthorized();
    }
    let wanted = match state_filter(&params, "TaskState") {
        Ok(wanted) => wanted,
        Err(()) => return (StatusCode::BAD_REQUEST, "Unsupported $filter.").into_response(),
    };
    let names = params.get("properties").map_or(TASK_DEFAULT, String::as_str);
    let rows: Option<Vec<Row>> = shared.read_model(|model| {
        let job = model.job(id)?;
        let rows = job
            .tasks
            .iter()
            .filter(|t| wanted.as_ref().is_none_or(|w| w.eq_ignore_ascii_case(t.state)))
            .map(|t| Row { properties: properties(names, |n| task_value(id, t, n)) })
            .collect();
        Some(rows)
    });
    match rows {
        Some(rows) => page(rows, &params),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One page of `rows`: `rowsPerRead` of them from the offset `queryId` names, with the next
/// page's `queryId` in the continuation header while rows remain. The id is this simulator's
/// own opaque text (`sim-<offset>`); a real server's differs, clients only copy it back.
fn page(mut rows: Vec<Row>, params: &HashMap<String, String>) -> Response {
    let per = params.get("rowsPerRead").and_then(|n| n.parse().ok()).unwrap_or(ROWS_PER_READ);
    let start: usize = match params.get("queryId").map(|q| q.strip_prefix("sim-").map(str::parse)) {
        None => 0,
        Some(Some(Ok(start))) => start,
        Some(_) => return (StatusCode::BAD_REQUEST, "Unknown queryId.").into_response(),
    };
    let end = start.saturating_add(per.max(1)).min(rows.len());
    let more = end < rows.len();
    let rows: Vec<Row> = rows.drain(start.min(end)..end).collect();
    let mut response = Json(rows).into_response();
    if more {
        if let Ok(next) = format!("sim-{end}").parse() {
            response.headers_mut().insert(CONTINUATION, next);
        }
    }
    response
}
