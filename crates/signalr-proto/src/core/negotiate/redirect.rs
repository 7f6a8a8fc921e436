//! Following negotiate redirects (the Azure SignalR Service style answer `url` + `accessToken`)
//! the way the official clients do: negotiate again at the new URL, with its access token (when
//! given) replacing the configured bearer from then on; at most 100 negotiate requests per
//! connect (so 99 redirects), counted as the official JS client counts them. A hop that repeats
//! an earlier one (same URL, same credentials) can only lead round again, so it is refused at
//! once as a loop. The WebSocket then goes to the last URL.
//!
//! Sans-I/O: [`Redirects`] says where to POST next and with which token, and takes each answer;
//! the caller makes the requests.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use url::Url;

use super::{shown, Answer, NegotiateError, Negotiated};
use crate::Secret;

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

/// The walk from the configured hub URL through redirects to a connection.
#[derive(Debug)]
pub struct Redirects {
    configured: Url,
    url: Url,
    access_token: Option<Secret>,
    seen: HashSet<u64>,
    hops: u32,
}

/// What to do after an answer.
#[derive(Debug)]
pub enum Step {
    /// Negotiate again at [`Redirects::url`] with [`Redirects::token`].
    Again,
    /// Done: connect here.
    Connect(Route),
}

impl Redirects {
    /// Starts at the configured hub URL.
    pub fn new(hub: &Url) -> Redirects {
        Redirects {
            configured: hub.clone(),
            url: hub.clone(),
            access_token: None,
            seen: HashSet::new(),
            hops: 0,
        }
    }

    /// Where the next negotiate goes.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The bearer for the next negotiate: the last redirect's token, else the configured one.
    pub fn token<'a>(&'a self, bearer: Option<&'a str>) -> Option<&'a str> {
        self.access_token.as_ref().map(Secret::expose).or(bearer)
    }

    /// Takes the answer to the negotiate just made at [`Redirects::url`] with
    /// [`Redirects::token`]`(bearer)`.
    pub fn answer(&mut self, answer: Answer, bearer: Option<&str>) -> Result<Step, NegotiateError> {
        self.seen.insert(fingerprint(&self.url, self.token(bearer)));
        let (target, new_token) = match answer {
            Answer::Connect(negotiated) => {
                return Ok(Step::Connect(Route {
                    negotiated,
                    url: self.url.clone(),
                    access_token: self.access_token.take(),
                    hops: self.hops,
                }));
            }
            Answer::Redirect { url, access_token } => (url, access_token),
        };
        if self.hops + 1 == MAX_NEGOTIATES {
            return Err(NegotiateError::TooManyRedirects(MAX_NEGOTIATES));
        }
        self.hops += 1;
        self.url = follow(&self.configured, &self.url, &target)?;
        if new_token.is_some() {
            self.access_token = new_token;
        }
        if self.seen.contains(&fingerprint(&self.url, self.token(bearer))) {
            return Err(NegotiateError::RedirectLoop(shown(&self.url)));
        }
        Ok(Step::Again)
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

    fn redirect(to: &str, token: Option<&str>) -> Answer {
        Answer::Redirect { url: to.into(), access_token: token.map(Secret::new) }
    }

    fn connect() -> Answer {
        let negotiated =
            Negotiated { connection_id: "c".into(), connection_token: "t".into(), stateful: false };
        Answer::Connect(negotiated)
    }

    #[test]
    fn redirects_carry_the_new_token_to_the_next_hop_and_the_route() {
        let mut walk = Redirects::new(&url("https://app/chat?tenant=a"));
        assert_eq!(walk.token(Some("app")), Some("app"));
        let step = walk.answer(redirect("https://svc/client/?hub=chat", Some("jwt")), Some("app"));
        assert!(matches!(step, Ok(Step::Again)));
        assert_eq!(walk.url().as_str(), "https://svc/client/?hub=chat&tenant=a");
        assert_eq!(walk.token(Some("app")), Some("jwt"), "the redirect's token replaces ours");
        // A later redirect without a token keeps the last one.
        assert!(matches!(walk.answer(redirect("/next", None), Some("app")), Ok(Step::Again)));
        assert_eq!(walk.token(Some("app")), Some("jwt"));
        let Ok(Step::Connect(route)) = walk.answer(connect(), Some("app")) else { panic!() };
        assert_eq!((route.url.as_str(), route.hops), ("https://svc/next?tenant=a", 2));
        assert_eq!(route.access_token.as_ref().map(Secret::expose), Some("jwt"));
    }

    #[test]
    fn redirects_refuse_a_loop_and_stop_at_the_request_limit() {
        let mut walk = Redirects::new(&url("http://h/hub"));
        assert!(matches!(walk.answer(redirect("/other", None), None), Ok(Step::Again)));
        let looped = walk.answer(redirect("/hub", None), None);
        assert!(matches!(looped, Err(NegotiateError::RedirectLoop(_))), "{looped:?}");
        // The same URL with a new token is a new hop, not a loop.
        let mut walk = Redirects::new(&url("http://h/hub"));
        let mut last = Ok(Step::Again);
        for hop in 1..=MAX_NEGOTIATES {
            last = walk.answer(redirect(&format!("/hub?hop={hop}"), None), None);
            if last.is_err() {
                assert_eq!(hop, MAX_NEGOTIATES, "refused after {hop} answers");
                break;
            }
        }
        assert!(matches!(last, Err(NegotiateError::TooManyRedirects(100))), "{last:?}");
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
