//! ASP.NET Core negotiate over HTTP: one POST per hop, following redirects as
//! [`signalr_proto::core::negotiate::redirect::Redirects`] directs. What the URLs, statuses and
//! answers mean is the protocol crate's.

use url::Url;

use signalr_proto::core::negotiate::redirect::{Redirects, Step};
pub use signalr_proto::core::negotiate::redirect::{Route, MAX_NEGOTIATES};
pub use signalr_proto::core::negotiate::*;

/// POSTs negotiate (empty body) to `hub` and reads the answer.
pub async fn negotiate_once(
    client: &reqwest::Client,
    hub: &Url,
    bearer: Option<&str>,
    stateful: bool,
) -> Result<Answer, NegotiateError> {
    let mut request =
        client.post(negotiate_url(hub, stateful)).header(reqwest::header::CONTENT_LENGTH, 0);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    // Never show the URL's query: it may hold a token.
    let response =
        request.send().await.map_err(|e| NegotiateError::Http(e.without_url().to_string()))?;
    check_status(hub, response.status().as_u16())?;
    let body =
        response.bytes().await.map_err(|e| NegotiateError::Http(e.without_url().to_string()))?;
    parse_answer(hub, &body, stateful)
}

/// Negotiates at `hub`, following redirects; every hop asks for stateful reconnect when
/// `stateful`.
pub async fn negotiate(
    client: &reqwest::Client,
    hub: &Url,
    bearer: Option<&str>,
    stateful: bool,
) -> Result<Route, NegotiateError> {
    let mut redirects = Redirects::new(hub);
    loop {
        let answer =
            negotiate_once(client, redirects.url(), redirects.token(bearer), stateful).await?;
        if let Step::Connect(route) = redirects.answer(answer, bearer)? {
            return Ok(route);
        }
    }
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
