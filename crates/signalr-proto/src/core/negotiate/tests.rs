use super::*;

#[test]
fn negotiate_url_inserts_into_path_and_keeps_query() {
    let hub = Url::parse("https://x/client/?hub=chat").unwrap();
    assert_eq!(
        negotiate_url(&hub, false).as_str(),
        "https://x/client/negotiate?hub=chat&negotiateVersion=1"
    );
    let hub = Url::parse("https://api.redmist.racing/status/event-status").unwrap();
    assert_eq!(
        negotiate_url(&hub, false).as_str(),
        "https://api.redmist.racing/status/event-status/negotiate?negotiateVersion=1"
    );
    let hub = Url::parse("http://h/hub?negotiateVersion=0").unwrap();
    assert_eq!(negotiate_url(&hub, false).as_str(), "http://h/hub/negotiate?negotiateVersion=0");
}

#[test]
fn websocket_url_schemes_and_query() {
    let hub = Url::parse("https://h/status/event-status?x=1").unwrap();
    assert_eq!(websocket_url(&hub, None, None).as_str(), "wss://h/status/event-status?x=1");
    let hub = Url::parse("http://h/hub").unwrap();
    assert_eq!(websocket_url(&hub, Some("a+b/c"), None).as_str(), "ws://h/hub?id=a%2Bb%2Fc");
    assert_eq!(websocket_url(&hub, None, Some("t=k")).as_str(), "ws://h/hub?access_token=t%3Dk");
}

fn hub() -> Url {
    Url::parse("http://h/hub?access_token=secret").unwrap()
}

fn connect(body: &[u8]) -> Negotiated {
    match parse_answer(&hub(), body, false).unwrap() {
        Answer::Connect(n) => n,
        other => panic!("not a connection: {other:?}"),
    }
}

#[test]
fn parse_v1_uses_connection_token() {
    let body = br#"{"connectionToken":"tok","connectionId":"cid","negotiateVersion":1,
        "availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}"#;
    let n = connect(body);
    assert_eq!(
        n,
        Negotiated { connection_id: "cid".into(), connection_token: "tok".into(), stateful: false }
    );
}

#[test]
fn parse_v0_uses_connection_id_as_token() {
    let body = br#"{"connectionId":"cid","availableTransports":[{"transport":"WebSockets","transferFormats":["Text"]}]}"#;
    assert_eq!(connect(body).connection_token, "cid");
}

#[test]
fn parse_redirect_with_and_without_access_token() {
    let answer = parse_answer(
        &hub(),
        br#"{"url":"https://other/client/?hub=chat","accessToken":"jwt"}"#,
        false,
    );
    assert_eq!(
        answer.unwrap(),
        Answer::Redirect {
            url: "https://other/client/?hub=chat".into(),
            access_token: Some(Secret::new("jwt")),
        }
    );
    let answer = parse_answer(&hub(), br#"{"url":"https://other/"}"#, false).unwrap();
    assert!(matches!(answer, Answer::Redirect { access_token: None, .. }));
}

#[test]
fn parse_refusals() {
    let refused =
        parse_answer(&hub(), br#"{"error":"This connection is not allowed."}"#, false).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the hub at http://h/hub refused the connection: This connection is not allowed."
    );
    let classic = parse_answer(&hub(), br#"{"Url":"/hpc/signalr","ConnectionToken":"x","ConnectionId":"y","ProtocolVersion":"1.5"}"#, false).unwrap_err();
    assert!(matches!(&classic, NegotiateError::ClassicServer(v) if v == "1.5"));
    assert!(classic.to_string().contains("dialect: classic"), "{classic}");
    let no_ws = parse_answer(&hub(), br#"{"connectionId":"c","negotiateVersion":1,"connectionToken":"t","availableTransports":[{"transport":"LongPolling"},{"transport":"ServerSentEvents"}]}"#, false).unwrap_err();
    assert!(matches!(no_ws, NegotiateError::NoWebSockets(_)));
    assert!(no_ws.to_string().contains("LongPolling, ServerSentEvents"), "{no_ws}");
    assert!(matches!(parse_answer(&hub(), b"<html>", false), Err(NegotiateError::Malformed(_))));
}

#[test]
fn status_errors_hint_and_never_show_the_query() {
    let url = Url::parse("http://h:81/hub?access_token=s3cret").unwrap();
    let e = NegotiateError::Status { at: shown(&url), status: 404 };
    assert_eq!(
        e.to_string(),
        "negotiate at http://h:81/hub answered HTTP 404 (not a SignalR hub URL, or a proxy blocks it)"
    );
    assert!(NegotiateError::Status { at: shown(&url), status: 405 }
        .to_string()
        .contains("dialect: classic"));
}

#[test]
fn stateful_reconnect_is_asked_for_and_only_taken_when_asked() {
    let hub = Url::parse("http://h/hub?x=1").unwrap();
    assert_eq!(
        negotiate_url(&hub, true).as_str(),
        "http://h/hub/negotiate?x=1&negotiateVersion=1&useStatefulReconnect=true"
    );
    let body = br#"{"connectionToken":"tok","connectionId":"cid","negotiateVersion":1,
        "useStatefulReconnect":true,"availableTransports":[{"transport":"WebSockets"}]}"#;
    let Answer::Connect(n) = parse_answer(&hub, body, true).unwrap() else { panic!("connect") };
    assert!(n.stateful);
    let e = parse_answer(&hub, body, false).unwrap_err();
    assert!(e.to_string().contains("didn't negotiate Stateful Reconnect"), "{e}");
    let plain = br#"{"connectionToken":"t","connectionId":"c","negotiateVersion":1}"#;
    let Answer::Connect(n) = parse_answer(&hub, plain, true).unwrap() else { panic!("connect") };
    assert!(!n.stateful, "a server that does not agree gives a plain connection");
}
