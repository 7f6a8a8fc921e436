//! Following negotiate redirects (the Azure SignalR Service style answer `url` + `accessToken`)
//! the way the official clients do: negotiate again at the new URL, with its access token (when
//! given) replacing the configured bearer from then on; at most 100 negotiate requests per
//! connect (so 99 redirects), counted as the official JS client counts them. A hop that repeats
//! an earlier one (same URL, same credentials) can only lead round again, so it is refused at
//! once as a loop. The WebSocket then goes to the last URL. One negotiate POST is the parent module.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use url::Url;

use super::{negotiate_once, shown, Answer, NegotiateError, Negotiated};
use crate::config::Secret;

/// Negotiate requests per connect, the last of which must not redirect (the JS client's limit).
pub const MAX_NEGOTIATES: u32 = 100;

/// Query parameters of the configured URL that are never carried to a redirect target: the
/// client sets them itself, or (a token) they belong to the server that was left.
const NOT_CARRIED: [&str; 3] = ["access_token", "negotiateVersion", "id"];

/// Where negotiate finally led.
#[derive(Debug)]
pub struct Route {
    pub negotiated: Negotiated,
    /// The hub URL the WebSocket goes to: the configured one, or the last redirect's.
    pub url: Url,
    /// The last redirect's access token; it replaces the configured bearer for this connection.
    pub access_token: Option<Secret>,
    /// Redirects followed.
    pub hops: u32,
}

/// Negotiates at `hub`, following redirects; every hop asks for stateful reconnect when
/// `stateful`.
pub async fn negotiate(
    client: &reqwest::Client,
    hub: &Url,
    bearer: Option<&str>,
    stateful: bool,
) -> Result<Route, NegotiateError> {
    let mut url = hub.clone();
    let mut access_token: Option<Secret> = None;
    let mut seen = HashSet::new();
    let mut hops = 0;
    loop {
        let token = access_token.as_ref().map(Secret::expose).or(bearer);
        seen.insert(fingerprint(&url, token));
        let (target, new_token) = match negotiate_once(client, &url, token, stateful).await? {
            Answer::Connect(negotiated) => {
                return Ok(Route { negotiated, url, access_token, hops });
            }
            Answer::Redirect { url, access_token } => (url, access_token),
        };
        if hops + 1 == MAX_NEGOTIATES {
            return Err(NegotiateError::TooManyRedirects(MAX_NEGOTIATES));
        }
        hops += 1;
        url = follow(hub, &url, &target)?;
        if new_token.is_some() {
            access_token = new_token;
        }
        let token = access_token.as_ref().map(Secret::expose).or(bearer);
        if seen.contains(&fingerprint(&url, token)) {
            return Err(NegotiateError::RedirectLoop(shown(&url)));
        }
    }
}

/// The next hub URL: `target` (resolved against `current` if relative), keeping its query, plus
/// the configured hub's query parameters that `target` does not set (never a token).
pub fn follow(configured: &Url, current: &Url, target: &str) -> Result<Url, NegotiateError> {
    let mut next = current
        .join(target)
        .map_err(|_| NegotiateError::BadRedirect("the `url` field is not a URL".into()))?;
    if !matches!(next.scheme(), "http" | "https") || next.host_str().is_none() {
        return Err(NegotiateError::BadRedirect(shown(&next)));
    }
    next.set_fragment(None);
    let present: HashSet<String> = next.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let carried: Vec<(String, String)> = configured
        .query_pairs()
        .filter(|(k, _)| !present.contains(k.as_ref()) && !NOT_CARRIED.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !carried.is_empty() {
        next.query_pairs_mut().extend_pairs(carried);
    }
    Ok(next)
}

/// Identifies a hop without keeping the token itself around.
fn fingerprint(url: &Url, token: Option<&str>) -> u64 {
    let mut hasher = DefaultHasher::new();
    url.as_str().hash(&mut hasher);
    token.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn follow_keeps_the_targets_query_and_adds_the_configured_one() {
        let configured = url("https://app/chat?tenant=a&access_token=app-secret&hub=old");
        let next = follow(&configured, &configured, "https://svc/client/?hub=chat&asrs.op=%2Fchat")
            .unwrap();
        assert_eq!(next.as_str(), "https://svc/client/?hub=chat&asrs.op=%2Fchat&tenant=a");
    }

    #[test]
    fn follow_resolves_relative_targets_and_refuses_other_schemes() {
        let configured = url("http://h:5080/status/event-status");
        let next = follow(&configured, &configured, "/other/hub?hop=2").unwrap();
        assert_eq!(next.as_str(), "http://h:5080/other/hub?hop=2");
        let e = follow(&configured, &configured, "ftp://h/x?token=s3cret").unwrap_err();
        assert!(matches!(e, NegotiateError::BadRedirect(_)));
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(matches!(
            follow(&configured, &configured, "http://"),
            Err(NegotiateError::BadRedirect(_))
        ));
    }

    #[test]
    fn fingerprint_tells_hops_apart_by_url_and_token() {
        let a = url("http://h/hub?hop=1");
        let b = url("http://h/hub?hop=2");
        assert_eq!(fingerprint(&a, Some("t")), fingerprint(&a, Some("t")));
        assert_ne!(fingerprint(&a, Some("t")), fingerprint(&b, Some("t")));
        assert_ne!(fingerprint(&a, Some("t")), fingerprint(&a, Some("u")));
        assert_ne!(fingerprint(&a, None), fingerprint(&a, Some("t")));
    }
}

#[cfg(test)]
#[path = "redirect_tests.rs"]
mod negotiate_tests;
