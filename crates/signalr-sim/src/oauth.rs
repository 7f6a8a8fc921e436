//! The OAuth2 token endpoint (client credentials grant, RFC 6749 §4.4) that hands out the
//! simulator's short-lived hub tokens. The client authenticates in the form body or with HTTP
//! Basic; errors use the RFC's JSON shape. Which clients and lifetimes: [`super::access`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;

use super::state::Shared;

/// `POST /oauth2/token` with `grant_type=client_credentials`.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let (id, secret) = match basic(&headers) {
        Some(pair) => pair,
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return error(StatusCode::UNAUTHORIZED, "invalid_client"),
        },
    };
    match shared.access.issue(&id, &secret) {
        Ok((token, secs)) => {
            let mut body =
                json!({"access_token": token, "token_type": "Bearer", "expires_in": secs});
            if let Some(scope) = form.get("scope") {
                body["scope"] = scope.clone().into();
            }
            Json(body).into_response()
        }
        Err(code) => error(StatusCode::UNAUTHORIZED, code),
    }
}

fn error(status: StatusCode, code: &'static str) -> Response {
    let description = match code {
        "invalid_client" => "Invalid client or Invalid client credentials",
        "unauthorized_client" => "No client is registered",
        _ => "Only client_credentials is supported",
    };
    (status, Json(json!({"error": code, "error_description": description}))).into_response()
}

/// `Authorization: Basic base64(id:secret)`, if present and well formed.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}
