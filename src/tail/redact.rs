//! The last guard before the screen: every secret the hub's settings hold is replaced by
//! `<redacted>` in every line `tail` prints, whatever path a secret took into the text (an
//! error message quoting a URL, a server echoing a token). Secrets are [`Secret`]s everywhere
//! else; this catches what slips through.

use std::borrow::Cow;

use crate::config::{shown_url, HubConfig};

const REDACTED: &str = "<redacted>";

/// The secrets to scrub.
#[derive(Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Every secret of `hub`: passwords and tokens given inline or in files or variables it
    /// names (read now; a file rotated later is not known), access codes, the URL's password and
    /// credential-looking query values.
    pub fn for_hub(hub: &HubConfig) -> Redactor {
        let mut found: Vec<String> = Vec::new();
        let auth = &hub.auth;
        let inline = [&auth.bearer_token, &auth.password];
        found.extend(inline.into_iter().flatten().map(|s| s.expose().to_owned()));
        let files = [&auth.bearer_token_file, &auth.password_file];
        for path in files.into_iter().flatten() {
            if let Ok(text) = std::fs::read_to_string(path) {
                found.push(text.trim().to_owned());
            }
        }
        if let Some(code) = hub.redmist.as_ref().and_then(|r| r.access_code.as_ref()) {
            found.push(code.expose().to_owned());
        }
        if let Some(oauth) = &auth.oauth2 {
            found.extend(oauth.client_secret.as_ref().map(|s| s.expose().to_owned()));
            let from_env = oauth.client_secret_env.as_deref().and_then(|v| std::env::var(v).ok());
            found.extend(from_env);
            let from_file =
                oauth.client_secret_file.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
            found.extend(from_file.map(|s| s.trim().to_owned()));
        }
        found.extend(url_secrets(&hub.url));
        Redactor::new(found)
    }

    /// Scrubs exactly `secrets` (empty ones are ignored); longest first, so a secret that
    /// contains another is replaced whole.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every secret replaced.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
        out
    }
}

/// The values [`shown_url`] hides: the password and secret-looking query values, each both as
/// written in the URL and decoded (an error message may quote either).
fn url_secrets(url: &url::Url) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(password) = url.password() {
        found.push(password.to_owned());
        found.push(percent_encoding::percent_decode_str(password).decode_utf8_lossy().into_owned());
    }
    let Some(shown) = url::Url::parse(&shown_url(url)).ok() else { return found };
    let hidden: Vec<String> =
        shown.query_pairs().filter(|(_, v)| v == REDACTED).map(|(k, _)| k.into_owned()).collect();
    for raw in url.query().unwrap_or("").split('&') {
        let Some((key, value)) = url::form_urlencoded::parse(raw.as_bytes()).next() else {
            continue;
        };
        if hidden.iter().any(|h| *h == key) {
            found.push(value.into_owned());
            found.extend(raw.split_once('=').map(|(_, v)| v.to_owned()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hub(value: serde_json::Value) -> HubConfig {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn scrub_replaces_every_occurrence_longest_first() {
        let r = Redactor::new(["abc".to_owned(), "abcdef".to_owned(), String::new()]);
        assert_eq!(r.scrub("x abcdef y abc z"), "x <redacted> y <redacted> z");
        assert!(matches!(r.scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn for_hub_finds_inline_file_url_and_access_code_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "FILE-TOKEN\n").unwrap();
        let mut config = hub(json!({
            "name": "h",
            "url": "http://u:URL%2BPW@h/hub?tenant=t&access_token=Q%20TOK",
            "profile": "redmist",
            "redmist": {"event_ids": [1], "access_code": "CODE"},
            "auth": {"bearer_token_file": file},
        }));
        let r = Redactor::for_hub(&config);
        let text = "URL%2BPW URL+PW Q TOK Q%20TOK FILE-TOKEN CODE tenant=t";
        assert_eq!(
            r.scrub(text),
            "<redacted> <redacted> <redacted> <redacted> <redacted> <redacted> tenant=t"
        );
        config.auth.bearer_token_file = None;
        config.auth.username = Some("u".into());
        config.auth.password = Some(crate::config::Secret::new("PW-1"));
        assert_eq!(Redactor::for_hub(&config).scrub("PW-1"), "<redacted>");
    }
}
