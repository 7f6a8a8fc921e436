//! OAuth2 client credentials (RFC 6749 §4.4): one POST to the token endpoint, its answer read
//! (pure), and a cache that hands out the last token until `expires_in` minus a margin. The
//! client secret is read at every request (file or environment), so rotation needs no restart.
//! Neither the secret nor a token ever reaches an error message or a log.

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{ClientAuth, OAuth2Config, Secret};

/// Why no token could be had from the token endpoint.
#[derive(Debug, thiserror::Error)]
pub enum TokenEndpointError {
    #[error("cannot read the OAuth2 client secret: {0}")]
    Secret(String),
    #[error("the token endpoint {at} refused the client credentials (HTTP {status}: {error})")]
    Refused { at: String, status: u16, error: String },
    #[error("the token endpoint {at} answered HTTP {status}")]
    Status { at: String, status: u16 },
    #[error("the token endpoint's answer is not a usable token: {0}")]
    Malformed(String),
    #[error("token request failed: {0}")]
    Http(String),
}

impl TokenEndpointError {
    /// The bounded label for the token requests metric.
    pub fn outcome(&self) -> &'static str {
        match self {
            TokenEndpointError::Secret(_) => "secret_unreadable",
            TokenEndpointError::Refused { .. } => "refused",
            TokenEndpointError::Status { .. } => "status",
            TokenEndpointError::Malformed(_) => "malformed",
            TokenEndpointError::Http(_) => "network",
        }
    }
}

/// A token and when it stops being handed out.
#[derive(Clone)]
struct Cached {
    token: Secret,
    renew_at: Instant,
}

/// Fetches and caches one hub's OAuth2 tokens.
pub struct TokenSource {
    config: OAuth2Config,
    http: reqwest::Client,
    cached: Mutex<Option<Cached>>,
}

impl TokenSource {
    pub fn new(config: OAuth2Config, http: reqwest::Client) -> TokenSource {
        TokenSource { config, http, cached: Mutex::new(None) }
    }

    /// A token just fetched (for a new connection), which also becomes the cached one.
    pub async fn fresh(&self) -> Result<Secret, TokenEndpointError> {
        let mut cached = self.cached.lock().await;
        let got = self.fetch().await?;
        *cached = Some(got.clone());
        Ok(got.token)
    }

    /// The cached token while it is good for more than the margin, else a new one.
    pub async fn current(&self) -> Result<Secret, TokenEndpointError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let got = self.fetch().await?;
        *cached = Some(got.clone());
        Ok(got.token)
    }

    async fn fetch(&self) -> Result<Cached, TokenEndpointError> {
        let cfg = &self.config;
        let secret = client_secret(cfg)?;
        let at = crate::signalr::core::negotiate::shown(&cfg.token_url);
        let mut pairs = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &cfg.scope {
            pairs.push(("scope", scope));
        }
        let mut request = self.http.post(cfg.token_url.clone());
        match cfg.client_auth {
            ClientAuth::Post => {
                pairs.push(("client_id", &cfg.client_id));
                pairs.push(("client_secret", secret.expose()));
            }
            ClientAuth::Basic => {
                // RFC 6749 §2.3.1: each part form-encoded before Basic.
                let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
                let id: String = enc(&cfg.client_id);
                request = request.basic_auth(id, Some(enc(secret.expose()) as String));
            }
        }
        let body =
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let request = request
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| TokenEndpointError::Http(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| TokenEndpointError::Http(e.without_url().to_string()))?;
        let answer = read_answer(status, &body, &at, &secret)?;
        let renew_at = started + renew_after(answer.expires_in, cfg.refresh_margin_secs);
        Ok(Cached { token: answer.token, renew_at })
    }
}

/// The secret from config, its file, or its environment variable, read now.
fn client_secret(cfg: &OAuth2Config) -> Result<Secret, TokenEndpointError> {
    if let Some(secret) = &cfg.client_secret {
        return Ok(secret.clone());
    }
    if let Some(path) = &cfg.client_secret_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TokenEndpointError::Secret(format!("file {}: {e}", path.display())))?;
        return Ok(Secret::new(text.trim()));
    }
    let name = cfg.client_secret_env.as_deref().unwrap_or_default();
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
        _ => Err(TokenEndpointError::Secret(format!("environment variable {name} is not set"))),
    }
}

/// A token answer.
#[derive(Debug)]
pub struct Answer {
    pub token: Secret,
    /// `None` when the endpoint did not say.
    pub expires_in: Option<Duration>,
}

#[derive(Deserialize)]
struct Body {
    access_token: Option<Secret>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Reads the endpoint's answer; an error answer becomes a message with the secret scrubbed
/// (an endpoint might echo what it was sent).
pub fn read_answer(
    status: u16,
    body: &[u8],
    at: &str,
    secret: &Secret,
) -> Result<Answer, TokenEndpointError> {
    let parsed: Option<Body> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        let Some(Body { error: Some(code), error_description, .. }) = parsed else {
            return Err(TokenEndpointError::Status { at: at.to_string(), status });
        };
        let mut error = match error_description {
            Some(d) => format!("{code}: {}", d.chars().take(200).collect::<String>()),
            None => code,
        };
        if !secret.expose().is_empty() {
            error = error.replace(secret.expose(), "<redacted>");
        }
        return Err(TokenEndpointError::Refused { at: at.to_string(), status, error });
    }
    let body = parsed.ok_or_else(|| TokenEndpointError::Malformed("not JSON".into()))?;
    let token = body
        .access_token
        .filter(|t| !t.expose().is_empty())
        .ok_or_else(|| TokenEndpointError::Malformed("no access_token".into()))?;
    if let Some(kind) = body.token_type.filter(|t| !t.eq_ignore_ascii_case("bearer")) {
        return Err(TokenEndpointError::Malformed(format!("token_type {kind} is not Bearer")));
    }
    // Some endpoints write the number as a string.
    let seconds = match body.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let expires_in = seconds.and_then(|s| Duration::try_from_secs_f64(s).ok());
    Ok(Answer { token, expires_in })
}

/// How long a token is handed out: its lifetime minus the margin, the margin capped at half the
/// lifetime. Unknown lifetime: not cached at all.
pub fn renew_after(expires_in: Option<Duration>, margin_secs: u64) -> Duration {
    let Some(lifetime) = expires_in else { return Duration::ZERO };
    lifetime - Duration::from_secs(margin_secs).min(lifetime / 2)
}

#[cfg(test)]
#[path = "oauth2_tests.rs"]
mod tests;
