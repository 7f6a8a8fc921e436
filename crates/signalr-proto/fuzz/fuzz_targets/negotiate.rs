//! Negotiate answers of both dialects: the same body read as an ASP.NET Core answer (v0, v1 or
//! a redirect, which is then followed) and as a classic one (whose token then goes into every
//! endpoint URL).
//!
//! Input: the HTTP response body (its last bit says whether stateful reconnect was asked for).
//! Invariants: no panic; a Core v0 answer uses the connection id
//! as token; a followed redirect is an http(s) URL with a host, no fragment and no token
//! carried over from the configured URL; the connection token reaches the WebSocket URL
//! exactly; the classic durations can be added to `Instant::now()` (the session's deadlines)
//! and the classic token comes back out of each URL exactly; every error message is non-empty.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signalr_proto::classic::negotiate::parse_negotiate;
use signalr_proto::classic::urls::Endpoints;
use signalr_proto::core::negotiate::{self, redirect, Answer};
use url::Url;

fuzz_target!(|body: &[u8]| {
    let configured =
        Url::parse("https://hub.example/status/event-status?tenant=a&access_token=secret")
            .expect("valid");
    // Whether the request asked for stateful reconnect: the server may only agree then.
    let stateful = body.last().is_some_and(|b| b & 1 == 1);
    match negotiate::parse_answer(&configured, body, stateful) {
        Ok(Answer::Connect(n)) => {
            let ws = negotiate::websocket_url(&configured, Some(&n.connection_token), None);
            assert_eq!(ws.scheme(), "wss");
            let id = ws.query_pairs().filter(|(k, _)| k == "id").last().map(|(_, v)| v);
            assert_eq!(id.as_deref(), Some(n.connection_token.as_str()));
        }
        Ok(Answer::Redirect { url, .. }) => {
            match redirect::follow(&configured, &configured, &url) {
                Ok(next) => {
                    assert!(matches!(next.scheme(), "http" | "https"), "{next}");
                    assert!(next.host_str().is_some() && next.fragment().is_none(), "{next}");
                    let target_has_token = Url::parse(&url)
                        .or_else(|_| configured.join(&url))
                        .is_ok_and(|u| u.query_pairs().any(|(k, _)| k == "access_token"));
                    let carried =
                        next.query_pairs().any(|(k, v)| k == "access_token" && v == "secret");
                    assert!(!carried || target_has_token, "configured token carried to {next}");
                    let _ = negotiate::negotiate_url(&next, stateful);
                }
                Err(error) => assert!(!error.to_string().is_empty()),
            }
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    match parse_negotiate(body) {
        Ok(n) => {
            let hub = Url::parse("https://head.example/hpc").expect("valid");
            let endpoints = Endpoints::new(&hub, &["JobEventHub"]).expect("https");
            for url in
                [endpoints.connect(&n.connection_token), endpoints.start(&n.connection_token)]
            {
                let token = url.query_pairs().find(|(k, _)| k == "connectionToken").map(|(_, v)| v);
                assert_eq!(token.as_deref(), Some(n.connection_token.as_str()), "{url}");
            }
            // The session sets its deadlines from now; no negotiated duration may overflow that.
            let now = std::time::Instant::now();
            for timeout in [Some(n.disconnect_timeout), n.keep_alive_timeout] {
                let _ = now + timeout.unwrap_or_default();
            }
            let _ = now + n.transport_connect_timeout;
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
