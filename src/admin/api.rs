//! `/subscriptions`: list, add and remove a running hub's runtime subscriptions. Every request
//! needs the bearer token; input is checked against the hub's profile and dialect before the
//! hub's [`crate::subs::Set`] changes, and the API's part of every set is saved to the state
//! file after each change. The hub task does the invoking; this module never touches a socket.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Serialize;
use tracing::{error, info, warn};

use super::bearer::{Denied, TokenSource};
use super::check::{check_target, AddBody};
use crate::config::ProfileKind;
use crate::signalr::Hub;
use crate::status::SubscriptionView;
use crate::subs::store::{Saved, Store};
use crate::subs::{Added, Key, Origin, Outcome, RemoveError, Target};
use crate::telemetry::{HubState, Metrics};

/// What the API works on.
pub struct Api {
    pub hubs: Vec<ApiHub>,
    pub token: TokenSource,
    pub store: Option<Arc<Store>>,
    pub metrics: Arc<Metrics>,
}

/// One hub as the API holds it: weakly, so the admin server (which stops last) does not keep
/// the hub's queue sender alive and the publisher can drain at shutdown.
pub struct ApiHub {
    pub name: Arc<str>,
    pub dynamic: crate::subs::Set,
    pub hub: Weak<Hub>,
}

impl ApiHub {
    pub fn new(hub: &Arc<Hub>) -> ApiHub {
        ApiHub {
            name: hub.spec.name.clone(),
            dynamic: hub.dynamic.clone(),
            hub: Arc::downgrade(hub),
        }
    }
}

pub fn routes(api: Arc<Api>) -> Router {
    Router::new()
        .route("/subscriptions", get(list).post(add))
        .route("/subscriptions/{hub}", get(list_hub))
        .route("/subscriptions/{hub}/{id}", delete(remove))
        .with_state(api)
}

/// A refused request: status, the `reason` label, and a message for the caller.
enum Refusal {
    Denied(Denied),
    BadRequest(String),
    UnknownHub(String),
    WrongKind(String),
    NotFound(String),
    Conflict(String),
    Full,
    ShuttingDown,
}

impl Refusal {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Refusal::Denied(Denied::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "token_unavailable",
                "the admin API token cannot be read".into(),
            ),
            Refusal::Denied(d) => (StatusCode::UNAUTHORIZED, "unauthorized", d.to_string()),
            Refusal::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            Refusal::UnknownHub(h) => {
                (StatusCode::NOT_FOUND, "unknown_hub", format!("no hub named `{h}`"))
            }
            Refusal::WrongKind(m) => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_kind", m.clone()),
            Refusal::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            Refusal::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            Refusal::ShuttingDown => (
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the bridge is shutting down".into(),
            ),
            Refusal::Full => (
                StatusCode::CONFLICT,
                "full",
                format!("the hub holds {} runtime subscriptions already", crate::subs::MAX_PER_HUB),
            ),
        }
    }
}

impl Api {
    /// Counts and answers a refusal; a missing or wrong token gets a `WWW-Authenticate` challenge.
    fn refuse(&self, refusal: Refusal) -> Response {
        let (status, reason, message) = refusal.parts();
        self.metrics.admin.refused(reason);
        let mut response = (status, Json(serde_json::json!({ "error": message }))).into_response();
        let challenge = match &refusal {
            Refusal::Denied(Denied::Missing) => r#"Bearer realm="signalr-bridge""#,
            Refusal::Denied(Denied::Wrong) => {
                r#"Bearer realm="signalr-bridge", error="invalid_token""#
            }
            Refusal::Denied(Denied::Unavailable(why)) => {
                error!(reason = %why, "Admin API token unavailable; refusing every request.");
                return response;
            }
            _ => return response,
        };
        warn!(reason = %refusal_text(&refusal), "Admin API request refused: unauthorized.");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        response
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        self.token.check(headers).map_err(Refusal::Denied)
    }

    fn hub(&self, name: &str) -> Result<Arc<Hub>, Refusal> {
        let found = self.hubs.iter().find(|h| &*h.name == name);
        let found = found.ok_or_else(|| Refusal::UnknownHub(name.to_owned()))?;
        found.hub.upgrade().ok_or(Refusal::ShuttingDown)
    }

    /// The response, or the refusal answered.
    fn answer(&self, result: Result<Response, Refusal>) -> Response {
        result.unwrap_or_else(|refusal| self.refuse(refusal))
    }

    /// Saves the API's subscriptions of every hub; says why not when that failed.
    async fn persist(&self) -> Result<(), String> {
        let Some(store) = &self.store else { return Ok(()) };
        let current = || -> Saved {
            let all = self.hubs.iter().map(|h| (h.name.to_string(), h.dynamic.persisted()));
            all.filter(|(_, targets)| !targets.is_empty()).collect()
        };
        store.save(current).await.map_err(|e| {
            error!(error = %e, "Could not save the runtime subscriptions; they will not survive a restart.");
            e.to_string()
        })
    }
}

fn refusal_text(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Denied(Denied::Missing) => "no bearer token",
        _ => "wrong bearer token",
    }
}

/// A runtime subscription as the API shows it: the whole target (the caller may see it).
#[derive(Serialize)]
struct DynamicBody {
    id: Key,
    #[serde(flatten)]
    target: Target,
    origin: Origin,
    #[serde(with = "time::serde::rfc3339")]
    added_at: time::OffsetDateTime,
    #[serde(flatten)]
    outcome: Outcome,
}

#[derive(Serialize)]
struct HubBody {
    hub: String,
    profile: ProfileKind,
    state: HubState,
    configured: Vec<SubscriptionView>,
    dynamic: Vec<DynamicBody>,
}

fn hub_body(hub: &Hub) -> HubBody {
    let view = hub.report.view();
    let dynamic = hub
        .dynamic
        .desired()
        .iter()
        .map(|(key, entry)| DynamicBody {
            id: key.clone(),
            target: entry.target.clone(),
            origin: entry.origin,
            added_at: entry.added_at,
            outcome: hub.dynamic.outcome(key),
        })
        .collect();
    HubBody {
        hub: hub.spec.name.to_string(),
        profile: hub.spec.config.profile,
        state: view.state,
        configured: view.subscriptions,
        dynamic,
    }
}

async fn list(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    let listed = api.authorize(&headers).map(|()| {
        let hubs: Vec<HubBody> =
            api.hubs.iter().filter_map(|h| h.hub.upgrade()).map(|h| hub_body(&h)).collect();
        Json(serde_json::json!({ "hubs": hubs })).into_response()
    });
    api.answer(listed)
}

async fn list_hub(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let listed = api.authorize(&headers).and_then(|()| api.hub(&name));
    api.answer(listed.map(|hub| Json(hub_body(&hub)).into_response()))
}

async fn add(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let added = add_checked(&api, &headers, &body).await;
    api.answer(added)
}

async fn add_checked(api: &Api, headers: &HeaderMap, body: &[u8]) -> Result<Response, Refusal> {
    api.authorize(headers)?;
    let body: AddBody = serde_json::from_slice(body)
        .map_err(|e| Refusal::BadRequest(format!("invalid JSON body: {e}")))?;
    let hub = api.hub(&body.hub)?;
    let target = body
        .target()
        .and_then(|t| check_target(&hub, &t).map(|()| t))
        .map_err(|unfit| Refusal::WrongKind(unfit.0))?;
    let key = target.key();
    let (status, entry) = match hub.dynamic.add(target, Origin::Api) {
        Added::New(entry) => (StatusCode::CREATED, entry),
        Added::Exists(entry) => (StatusCode::OK, entry),
        Added::Full => return Err(Refusal::Full),
    };
    if status == StatusCode::CREATED {
        api.metrics.admin.change(&hub.spec.name, "added", "api");
        info!(hub = %hub.spec.name, subscription = %key, "Subscription added through the admin API.");
    }
    let mut answer = BTreeMap::new();
    answer.insert("hub", serde_json::json!(hub.spec.name.as_ref()));
    answer.insert("id", serde_json::json!(key));
    answer.insert("subscription", serde_json::json!(entry.target));
    if let Err(e) = api.persist().await {
        let note = format!("applied, but not saved (it will not survive a restart): {e}");
        answer.insert("error", note.into());
        api.metrics.admin.refused("storage");
        return Ok((StatusCode::INTERNAL_SERVER_ERROR, Json(answer)).into_response());
    }
    let location = format!("/subscriptions/{}/{key}", hub.spec.name);
    let mut response = (status, Json(answer)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn remove(
    State(api): State<Arc<Api>>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let removed = remove_checked(&api, &headers, &name, &id).await;
    api.answer(removed)
}

async fn remove_checked(
    api: &Api,
    headers: &HeaderMap,
    name: &str,
    id: &str,
) -> Result<Response, Refusal> {
    api.authorize(headers)?;
    let hub = api.hub(name)?;
    let key = Key::from(id);
    let entry = hub.dynamic.remove(&key, Origin::Api).map_err(|e| match e {
        RemoveError::NotFound(_) => Refusal::NotFound(e.to_string()),
        _ => Refusal::Conflict(e.to_string()),
    })?;
    api.metrics.admin.change(&hub.spec.name, "removed", "api");
    info!(hub = %hub.spec.name, subscription = %key, "Subscription removed through the admin API.");
    if let Err(e) = api.persist().await {
        api.metrics.admin.refused("storage");
        let error = format!("removed, but not saved (it comes back after a restart): {e}");
        let body = serde_json::json!({ "hub": hub.spec.name.as_ref(), "id": key, "error": error });
        return Ok((StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response());
    }
    let answer =
        serde_json::json!({ "hub": hub.spec.name.as_ref(), "id": key, "removed": entry.target });
    Ok(Json(answer).into_response())
}
