//! The HTTP side of HPC Pack's `/hpc` REST API, shared by the job reader (`rest`) and the job
//! lister (`rest_jobs`): URLs under the configured base, the Authorization header, one GET with
//! what its status means, and lists read page by page (`rowsPerRead`, then `queryId` from the
//! `x-ms-continuation-queryId` header). Callers name what they were reading in their own errors.

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use url::Url;

use super::rest::Row;

/// A guard against a server that never stops sending continuation ids.
const MAX_PAGES: usize = 1000;
const CONTINUATION: &str = "x-ms-continuation-queryId";

/// Why a GET or a paged list failed. The Authorization value never appears in one.
#[derive(Debug)]
pub(super) enum Fetch {
    Unauthorized,
    Forbidden,
    NotFound,
    Status(u16),
    Transport(reqwest::Error),
    Malformed(String),
}

/// `{base}/{segments…}`, whether or not the base ends in a slash; no query.
pub(super) fn hpc_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// The Authorization header value, marked sensitive so no debug print shows it.
pub(super) fn auth_header(authorization: Option<&str>) -> Result<Option<HeaderValue>, Fetch> {
    match authorization.map(HeaderValue::from_str) {
        Some(Ok(mut value)) => {
            value.set_sensitive(true);
            Ok(Some(value))
        }
        Some(Err(_)) => Err(Fetch::Malformed("authorization is not a header value".into())),
        None => Ok(None),
    }
}

/// One GET: the body and the continuation id, or the error its status means.
pub(super) async fn get(
    http: &reqwest::Client,
    url: Url,
    auth: Option<&HeaderValue>,
) -> Result<(bytes::Bytes, Option<String>), Fetch> {
    let mut request = http.get(url);
    if let Some(auth) = auth {
        request = request.header(AUTHORIZATION, auth.clone());
    }
    // Without the URL: a base configured as https://user:pass@head would leak otherwise.
    let transport = |e: reqwest::Error| Fetch::Transport(e.without_url());
    let response = request.send().await.map_err(transport)?;
    match response.status() {
        StatusCode::UNAUTHORIZED => return Err(Fetch::Unauthorized),
        StatusCode::FORBIDDEN => return Err(Fetch::Forbidden),
        StatusCode::NOT_FOUND => return Err(Fetch::NotFound),
        status if !status.is_success() => return Err(Fetch::Status(status.as_u16())),
        _ => {}
    }
    let next = response
        .headers()
        .get(CONTINUATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok((response.bytes().await.map_err(transport)?, next))
}

/// Reads the list at `url` (its own query already set) page by page, `rows_per_read` rows at a
/// time, handing each page's rows to `each`; `what` names the list in the error when its pages
/// never end.
pub(super) async fn pages(
    http: &reqwest::Client,
    url: &Url,
    rows_per_read: &str,
    auth: Option<&HeaderValue>,
    what: &str,
    mut each: impl FnMut(Vec<Row>) -> Result<(), String>,
) -> Result<(), Fetch> {
    let mut query_id: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut page = url.clone();
        page.query_pairs_mut().append_pair("rowsPerRead", rows_per_read);
        if let Some(id) = &query_id {
            page.query_pairs_mut().append_pair("queryId", id);
        }
        let (body, next) = get(http, page, auth).await?;
        let rows: Vec<Row> =
            serde_json::from_slice(&body).map_err(|e| Fetch::Malformed(e.to_string()))?;
        let empty = rows.is_empty();
        each(rows).map_err(Fetch::Malformed)?;
        match next {
            Some(next) if !empty => query_id = Some(next),
            _ => return Ok(()),
        }
    }
    Err(Fetch::Malformed(format!("{what} pages never end")))
}
