//! OAuth2 client-credentials settings, and the rules that keep a hub's credentials to one kind
//! (HTTP Basic, a bearer token or its file, or OAuth2). Fetching tokens is `signalr::auth`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::{invalid, ConfigError};
use super::{AuthConfig, Secret};

/// OAuth2 client credentials (RFC 6749 §4.4): a token from `token_url` for every connect.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Config {
    /// The token endpoint, e.g.
    /// `https://auth.redmist.racing/realms/redmist/protocol/openid-connect/token`.
    pub token_url: url::Url,
    /// The client id.
    pub client_id: String,
    /// The client secret. Prefer `client_secret_file` or `client_secret_env`.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// A file holding the client secret, re-read for every token request (rotation-friendly).
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// The name of an environment variable holding the client secret, read for every token
    /// request.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Space-separated scopes to ask for; none are sent when absent.
    #[serde(default)]
    pub scope: Option<String>,
    /// How the client authenticates to the token endpoint: `post` (id and secret in the form
    /// body, `client_secret_post`) or `basic` (HTTP Basic, `client_secret_basic`).
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// A token is renewed this many seconds before its `expires_in` runs out (at most half its
    /// lifetime), for requests made while a connection lives (REST snapshots).
    #[serde(default = "default_refresh_margin")]
    pub refresh_margin_secs: u64,
}

/// Client authentication at the token endpoint.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    #[default]
    Post,
    /// `Authorization: Basic` with the form-encoded id and secret.
    Basic,
}

fn default_refresh_margin() -> u64 {
    30
}

/// One kind of credentials per hub, each complete.
pub(super) fn validate_auth(
    auth: &AuthConfig,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    let one_of = |fields: &[(&str, bool)], what: &str| -> Result<(), ConfigError> {
        let set: Vec<&str> = fields.iter().filter(|(_, on)| *on).map(|(k, _)| *k).collect();
        if set.len() > 1 {
            return Err(invalid(
                key("auth"),
                format!("{what}: `{}` are all set", set.join("`, `")),
                "keep one of them",
            ));
        }
        Ok(())
    };
    let bearer = auth.bearer_token.is_some() || auth.bearer_token_file.is_some();
    one_of(
        &[
            ("bearer_token", auth.bearer_token.is_some()),
            ("bearer_token_file", auth.bearer_token_file.is_some()),
        ],
        "more than one bearer token source",
    )?;
    one_of(
        &[("password", auth.password.is_some()), ("password_file", auth.password_file.is_some())],
        "more than one password source",
    )?;
    let has_password = auth.password.is_some() || auth.password_file.is_some();
    if auth.username.is_some() != has_password {
        return Err(invalid(
            key("auth"),
            "HTTP Basic needs both `username` and a password",
            "set `username` and `password` (or `password_file`)",
        ));
    }
    one_of(
        &[
            ("username", auth.username.is_some()),
            ("bearer_token*", bearer),
            ("oauth2", auth.oauth2.is_some()),
        ],
        "more than one kind of credentials",
    )?;
    let Some(oauth) = &auth.oauth2 else { return Ok(()) };
    if !matches!(oauth.token_url.scheme(), "http" | "https") {
        return Err(invalid(
            key("auth.oauth2.token_url"),
            format!("scheme `{}` is not supported", oauth.token_url.scheme()),
            "use an http or https URL",
        ));
    }
    if oauth.client_id.trim().is_empty() {
        return Err(invalid(key("auth.oauth2.client_id"), "is empty", "set the client id"));
    }
    let sources = [
        ("client_secret", oauth.client_secret.is_some()),
        ("client_secret_file", oauth.client_secret_file.is_some()),
        ("client_secret_env", oauth.client_secret_env.is_some()),
    ];
    match sources.iter().filter(|(_, on)| *on).count() {
        1 => Ok(()),
        0 => Err(invalid(
            key("auth.oauth2"),
            "no client secret",
            "set `client_secret_file` (or `client_secret_env`, or `client_secret`)",
        )),
        _ => one_of(&sources, "more than one client secret source"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use crate::config::{load, Config, ConfigError};

    fn load_auth(auth: &str) -> Result<Config, ConfigError> {
        let text = format!(
            "hubs:\n  - name: live\n    url: https://api.example/hub\n    auth: {auth}\nsink:\n  kind: stdout\n"
        );
        let mut f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        load(Some(f.path()), Vec::new())
    }

    const OAUTH: &str = "{ oauth2: { token_url: 'https://idp/token', client_id: bridge, \
                         client_secret: 'very-secret-1', scope: 'hub.read' } }";

    #[test]
    fn oauth2_loads_with_defaults_and_its_secret_never_prints() {
        let c = load_auth(OAUTH).unwrap();
        let oauth = c.hubs[0].auth.oauth2.as_ref().unwrap();
        assert_eq!(oauth.client_id, "bridge");
        assert_eq!(oauth.scope.as_deref(), Some("hub.read"));
        assert_eq!(oauth.client_auth, super::ClientAuth::Post);
        assert_eq!(oauth.refresh_margin_secs, 30);
        for text in [serde_json::to_string(&c).unwrap(), format!("{c:?}")] {
            assert!(!text.contains("very-secret-1"), "{text}");
        }
    }

    #[test]
    fn oauth2_needs_exactly_one_secret_source() {
        let none = "{ oauth2: { token_url: 'https://idp/t', client_id: c } }";
        let e = load_auth(none).unwrap_err().to_string();
        assert!(e.contains("hubs[0].auth.oauth2") && e.contains("no client secret"), "{e}");
        let two = "{ oauth2: { token_url: 'https://idp/t', client_id: c, client_secret: s, \
                   client_secret_env: S } }";
        let e = load_auth(two).unwrap_err().to_string();
        assert!(e.contains("`client_secret`, `client_secret_env`"), "{e}");
        assert!(!e.contains(": s,"), "{e}");
        let env = "{ oauth2: { token_url: 'https://idp/t', client_id: c, client_secret_env: S, \
                   client_auth: basic } }";
        assert!(load_auth(env).is_ok());
    }

    #[test]
    fn oauth2_excludes_other_credentials_and_checks_its_fields() {
        let mixed = "{ bearer_token: t, oauth2: { token_url: 'https://idp/t', client_id: c, \
                     client_secret: s } }";
        let e = load_auth(mixed).unwrap_err().to_string();
        assert!(e.contains("more than one kind of credentials"), "{e}");
        let ftp = "{ oauth2: { token_url: 'ftp://idp/t', client_id: c, client_secret: s } }";
        assert!(load_auth(ftp).unwrap_err().to_string().contains("token_url"));
        let typo = "{ oauth2: { token_url: 'https://idp/t', client_id: c, client_secret: s, \
                    scopes: x } }";
        assert!(load_auth(typo).unwrap_err().to_string().contains("scopes"));
        let both = "{ bearer_token: t, bearer_token_file: /f }";
        assert!(load_auth(both).unwrap_err().to_string().contains("keep one"));
        let basic = "{ username: u, bearer_token: t, password: p }";
        assert!(load_auth(basic).unwrap_err().to_string().contains("kind of credentials"));
    }
}
