//! A hub's credentials: HTTP Basic, a bearer token (fixed, or a file re-read for every
//! connect), or OAuth2 client credentials (a token fetched for every connect, and for requests
//! made while a connection lives, one renewed before it expires). Sending them is the dialects'
//! job; reading them is this module's.

pub mod oauth2;

use std::sync::Arc;

use crate::config::{AuthConfig, Secret};
use crate::signalr::transport::{current_credentials, current_token, Credentials};
use crate::signalr::SessionError;
use crate::telemetry::Metrics;

/// Where one hub's credentials come from.
pub struct Auth {
    config: AuthConfig,
    oauth: Option<oauth2::TokenSource>,
    hub: Arc<str>,
    metrics: Arc<Metrics>,
}

impl Auth {
    pub fn new(
        config: &AuthConfig,
        http: &reqwest::Client,
        hub: Arc<str>,
        metrics: Arc<Metrics>,
    ) -> Auth {
        let oauth = config.oauth2.clone().map(|c| oauth2::TokenSource::new(c, http.clone()));
        Auth { config: config.clone(), oauth, hub, metrics }
    }

    /// Credentials for a new connection; an OAuth2 token is fetched now.
    pub async fn for_connect(&self) -> Result<Option<Credentials>, SessionError> {
        match &self.oauth {
            Some(source) => Ok(Some(Credentials::Bearer(self.counted(source.fresh().await)?))),
            None => current_credentials(&self.config).map_err(SessionError::Token),
        }
    }

    /// The bearer token for a new connection (ASP.NET Core); an OAuth2 token is fetched now.
    pub async fn bearer_for_connect(&self) -> Result<Option<Secret>, SessionError> {
        match &self.oauth {
            Some(source) => Ok(Some(self.counted(source.fresh().await)?)),
            None => current_token(&self.config).map_err(SessionError::Token),
        }
    }

    /// The bearer token for a request on a live connection: with OAuth2 the cached token while
    /// it is good for longer than the margin (else a new one), otherwise `connected_with`.
    pub async fn bearer_now(
        &self,
        connected_with: Option<Secret>,
    ) -> Result<Option<Secret>, SessionError> {
        match &self.oauth {
            Some(source) => Ok(Some(self.counted(source.current().await)?)),
            None => Ok(connected_with),
        }
    }

    /// Whether asking again can give other credentials (so a refused token is worth one retry).
    pub fn renewable(&self) -> bool {
        self.oauth.is_some()
            || self.config.bearer_token_file.is_some()
            || self.config.password_file.is_some()
    }

    fn counted(
        &self,
        result: Result<Secret, oauth2::TokenEndpointError>,
    ) -> Result<Secret, SessionError> {
        let outcome = result.as_ref().map_or_else(|e| e.outcome(), |_| "ok");
        self.metrics.token_request(&self.hub, outcome);
        result.map_err(SessionError::TokenEndpoint)
    }
}
