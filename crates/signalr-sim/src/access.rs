//! Who may connect to the simulated hub, and where negotiate sends them: negotiate redirects
//! (a chain of hops back to the same hub, optionally with a per-redirect access token, or a
//! loop), and an OAuth2 client-credentials token endpoint whose tokens expire.
//!
//! Expired tokens are refused (401) on negotiate, upgrade and the REST snapshot, but an open
//! connection is not closed when its token expires: ASP.NET Core only does that when the app
//! sets `CloseOnAuthenticationExpiration`, which RedMist does not. Tests that want the next
//! connect to need a new token drop the connection themselves.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{header, HeaderMap};
use tokio::time::Instant;

use super::state::lock;

/// The query parameter a redirect adds to tell its hops apart.
pub const HOP_PARAM: &str = "redirect_hop";
/// Where the token endpoint listens.
pub const TOKEN_PATH: &str = "/oauth2/token";

/// What negotiate answers with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Redirect {
    /// A normal negotiate answer.
    #[default]
    Off,
    /// `hops` redirects back to this hub (each adds `redirect_hop=<n>` to the URL), then a normal
    /// answer. With `access_token`, every redirect carries it, and requests after the first
    /// redirect must present it instead of the client's own token (as with Azure SignalR).
    Chain { hops: u32, access_token: Option<String> },
    /// Every answer redirects to `redirect_hop=1`: a loop a client must refuse.
    Loop,
}

/// The OAuth2 client the token endpoint accepts.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    /// Token lifetime (`expires_in`, whole seconds, at least 1).
    pub ttl: Duration,
}

#[derive(Default)]
struct Inner {
    redirect: Redirect,
    oauth: Option<OAuthClient>,
    /// Every token issued, with its expiry.
    issued: Vec<(String, Instant)>,
    /// Every bearer token presented on negotiate, upgrade or snapshot, in order.
    presented: Vec<String>,
    /// This many more requests are refused whatever they present (a revoked token).
    refuse_next: u32,
}

/// Redirect and token state; one per simulator.
#[derive(Default)]
pub struct Access {
    inner: Mutex<Inner>,
}

/// The bearer token a request presents: the header, else the `access_token` query parameter.
pub fn presented_token<'a>(
    headers: &'a HeaderMap,
    params: &'a HashMap<String, String>,
) -> Option<&'a str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| params.get("access_token").map(String::as_str))
}

impl Access {
    pub fn set_redirect(&self, redirect: Redirect) {
        lock(&self.inner).redirect = redirect;
    }

    pub fn redirect(&self) -> Redirect {
        lock(&self.inner).redirect.clone()
    }

    pub fn set_oauth(&self, client: Option<OAuthClient>) {
        lock(&self.inner).oauth = client;
    }

    /// Refuses the next `n` requests (401) whatever token they carry.
    pub fn refuse_next(&self, n: u32) {
        lock(&self.inner).refuse_next = n;
    }

    pub fn presented(&self) -> Vec<String> {
        lock(&self.inner).presented.clone()
    }

    pub fn issued(&self) -> Vec<String> {
        lock(&self.inner).issued.iter().map(|(t, _)| t.clone()).collect()
    }

    /// Whether a request may pass: a post-redirect hop with a redirect token must present
    /// that token; otherwise the static `required` token or an unexpired OAuth token will do,
    /// and with neither configured anyone may.
    pub fn allows(&self, required: Option<&str>, token: Option<&str>, hop: bool) -> bool {
        let mut inner = lock(&self.inner);
        if let Some(token) = token {
            inner.presented.push(token.to_string());
        }
        if inner.refuse_next > 0 {
            inner.refuse_next -= 1;
            return false;
        }
        if let (true, Redirect::Chain { access_token: Some(expected), .. }) = (hop, &inner.redirect)
        {
            return token == Some(expected.as_str());
        }
        if required.is_none() && inner.oauth.is_none() {
            return true;
        }
        let Some(token) = token else { return false };
        let now = Instant::now();
        required == Some(token) || inner.issued.iter().any(|(t, until)| t == token && *until > now)
    }

    /// Checks the client and mints a token. `Err` is the OAuth2 error code.
    pub fn issue(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<(String, u64), &'static str> {
        let mut inner = lock(&self.inner);
        let Some(client) = &inner.oauth else { return Err("unauthorized_client") };
        if client.client_id != client_id || client.client_secret != client_secret {
            return Err("invalid_client");
        }
        let secs = client.ttl.as_secs().max(1);
        let token = format!("sim-{}", uuid::Uuid::new_v4().simple());
        let until = Instant::now() + Duration::from_secs(secs);
        inner.issued.retain(|(_, until)| *until > Instant::now());
        inner.issued.push((token.clone(), until));
        Ok((token, secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(ttl: u64) -> OAuthClient {
        OAuthClient {
            client_id: "c".into(),
            client_secret: "s".into(),
            ttl: Duration::from_secs(ttl),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn issued_tokens_pass_until_they_expire() {
        let access = Access::default();
        access.set_oauth(Some(client(2)));
        assert_eq!(access.issue("c", "wrong"), Err("invalid_client"));
        let (token, secs) = access.issue("c", "s").unwrap();
        assert_eq!(secs, 2);
        assert!(access.allows(None, Some(&token), false));
        assert!(!access.allows(None, Some("made-up"), false));
        assert!(!access.allows(None, None, false));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(!access.allows(None, Some(&token), false));
        assert_eq!(access.presented(), vec![token.clone(), "made-up".into(), token]);
    }

    #[test]
    fn redirect_hops_need_the_redirect_token() {
        let access = Access::default();
        assert!(access.allows(None, None, true), "no requirement at all");
        access.set_redirect(Redirect::Chain { hops: 2, access_token: Some("r".into()) });
        assert!(access.allows(Some("app"), Some("app"), false));
        assert!(!access.allows(Some("app"), Some("app"), true));
        assert!(access.allows(Some("app"), Some("r"), true));
        assert!(!access.allows(Some("app"), Some("r"), false));
        access.refuse_next(1);
        assert!(!access.allows(Some("app"), Some("r"), true), "refused once");
        assert!(access.allows(Some("app"), Some("r"), true));
    }
}
