//! The admin API's bearer token: where it comes from, and the check every request passes. The
//! token is compared in constant time and never logged, echoed or counted by value.

use std::path::PathBuf;

use axum::http::{header, HeaderMap};

use crate::config::{AdminApiConfig, Secret};

/// Where the expected token is read.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// From the config or an environment variable, read once at start.
    Fixed(Secret),
    /// From a file, read for every request (a rotated Secret takes effect at once).
    File(PathBuf),
}

/// Why a request is not let in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("no bearer token")]
    Missing,
    #[error("wrong bearer token")]
    Wrong,
    /// The configured token cannot be read: nobody can be let in (an operator must act).
    #[error("the admin API token is unavailable: {0}")]
    Unavailable(String),
}

/// Why the token source could not be set up at start.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("environment variable {0} (admin.api.token_env) is not set or empty")]
    Env(String),
    #[error("admin.api needs a token, a token_file or a token_env")]
    None,
}

impl TokenSource {
    pub fn from_config(api: &AdminApiConfig) -> Result<TokenSource, SourceError> {
        if let Some(token) = &api.token {
            return Ok(TokenSource::Fixed(token.clone()));
        }
        if let Some(path) = &api.token_file {
            return Ok(TokenSource::File(path.clone()));
        }
        if let Some(name) = &api.token_env {
            let value = std::env::var(name).unwrap_or_default();
            if value.trim().is_empty() {
                return Err(SourceError::Env(name.clone()));
            }
            return Ok(TokenSource::Fixed(Secret::new(value.trim())));
        }
        Err(SourceError::None)
    }

    fn expected(&self) -> Result<Secret, Denied> {
        match self {
            TokenSource::Fixed(token) => Ok(token.clone()),
            TokenSource::File(path) => match std::fs::read_to_string(path) {
                Ok(text) if !text.trim().is_empty() => Ok(Secret::new(text.trim())),
                Ok(_) => Err(Denied::Unavailable(format!("{} is empty", path.display()))),
                Err(e) => Err(Denied::Unavailable(format!("{}: {e}", path.display()))),
            },
        }
    }

    /// Lets the request in when it carries `Authorization: Bearer <the token>`.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Denied> {
        let expected = self.expected()?;
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(Denied::Missing)?;
        if same(presented.as_bytes(), expected.expose().as_bytes()) {
            Ok(())
        } else {
            Err(Denied::Wrong)
        }
    }
}

/// Equal bytes, in time that depends on the lengths only, not on where they first differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied().unwrap_or(0), b.get(i).copied().unwrap_or(0));
        diff |= usize::from(std::hint::black_box(x ^ y));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn same_compares_whole_values() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
        assert!(same(b"", b""));
    }

    #[test]
    fn check_wants_the_bearer_scheme_and_the_token() {
        let source = TokenSource::Fixed(Secret::new("0123456789abcdef"));
        assert_eq!(source.check(&HeaderMap::new()), Err(Denied::Missing));
        assert_eq!(source.check(&headers("Basic 0123456789abcdef")), Err(Denied::Missing));
        assert_eq!(source.check(&headers("Bearer 0123456789abcdeX")), Err(Denied::Wrong));
        assert_eq!(source.check(&headers("bearer 0123456789abcdef")), Ok(()));
    }

    #[test]
    fn a_token_file_is_read_per_request() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let source = TokenSource::File(path.clone());
        assert!(matches!(source.check(&headers("Bearer x")), Err(Denied::Unavailable(_))));
        std::fs::write(&path, "first-token-0000\n").unwrap();
        assert_eq!(source.check(&headers("Bearer first-token-0000")), Ok(()));
        std::fs::write(&path, "second-token-000").unwrap();
        assert_eq!(source.check(&headers("Bearer first-token-0000")), Err(Denied::Wrong));
        assert_eq!(source.check(&headers("Bearer second-token-000")), Ok(()));
    }
}
