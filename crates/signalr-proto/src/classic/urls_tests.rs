use super::*;

const HUBS: [&str; 2] = ["JobEventHub", "TaskEventHub"];
const DATA: &str =
    "%5B%7B%22Name%22%3A%22JobEventHub%22%7D%2C%7B%22Name%22%3A%22TaskEventHub%22%7D%5D";

fn endpoints(url: &str) -> Endpoints {
    Endpoints::new(&Url::parse(url).unwrap(), &HUBS).unwrap()
}

#[test]
fn negotiate_appends_signalr_and_escapes_connection_data() {
    let url = endpoints("https://head/hpc").negotiate();
    assert_eq!(
        url.as_str(),
        format!("https://head/hpc/signalr/negotiate?clientProtocol=1.5&connectionData={DATA}")
    );
}

#[test]
fn base_already_ending_in_signalr_is_kept() {
    for url in ["https://head/hpc/signalr", "https://head/hpc/signalr/"] {
        let negotiate = endpoints(url).negotiate();
        assert!(negotiate.as_str().starts_with("https://head/hpc/signalr/negotiate?"), "{url}");
    }
    let root = endpoints("http://head:8080").negotiate();
    assert!(root.as_str().starts_with("http://head:8080/signalr/negotiate?"), "{root}");
}

#[test]
fn connect_is_websocket_with_escaped_token() {
    let url = endpoints("https://head/hpc").connect("AQAA+b/c==");
    assert_eq!(
        url.as_str(),
        format!(
            "wss://head/hpc/signalr/connect?transport=webSockets&clientProtocol=1.5\
             &connectionToken=AQAA%2Bb%2Fc%3D%3D&connectionData={DATA}"
        )
    );
    assert_eq!(endpoints("http://head/hpc").connect("t").scheme(), "ws");
}

#[test]
fn reconnect_carries_cursor_and_groups_token() {
    let url =
        endpoints("https://head/hpc").reconnect("tok", Some("d-7F2E11C0-B,1|C,0"), Some("g+1/2=="));
    assert_eq!(
        url.as_str(),
        format!(
            "wss://head/hpc/signalr/reconnect?transport=webSockets&clientProtocol=1.5\
             &messageId=d-7F2E11C0-B%2C1%7CC%2C0&groupsToken=g%2B1%2F2%3D%3D\
             &connectionToken=tok&connectionData={DATA}"
        )
    );
    let bare = endpoints("https://head/hpc").reconnect("tok", None, None);
    assert!(!bare.as_str().contains("messageId") && !bare.as_str().contains("groupsToken"));
}

#[test]
fn start_and_abort_are_http_with_transport_and_token() {
    let e = endpoints("wss://head/hpc");
    let tail = format!(
        "transport=webSockets&clientProtocol=1.5&connectionToken=t%20k&connectionData={DATA}"
    );
    assert_eq!(e.start("t k").as_str(), format!("https://head/hpc/signalr/start?{tail}"));
    assert_eq!(e.abort("t k").as_str(), format!("https://head/hpc/signalr/abort?{tail}"));
}

#[test]
fn user_query_is_kept_first() {
    let url = endpoints("https://head/hpc?tenant=a%20b#frag").negotiate();
    assert_eq!(
        url.as_str(),
        format!("https://head/hpc/signalr/negotiate?tenant=a%20b&clientProtocol=1.5&connectionData={DATA}")
    );
}

#[test]
fn escape_matches_escape_data_string() {
    assert_eq!(escape("aZ09-_.~"), "aZ09-_.~");
    assert_eq!(escape(" *+/:=?&|,ü"), "%20%2A%2B%2F%3A%3D%3F%26%7C%2C%C3%BC");
}

#[test]
fn other_schemes_are_refused() {
    let err = Endpoints::new(&Url::parse("ftp://head/hpc").unwrap(), &HUBS).unwrap_err();
    assert_eq!(err, UrlError::Scheme("ftp".into()));
}
