//! The hub readers of the `limit` and `discard` roles, one per kind of frame: subscribe like a
//! client, then read every frame and either parse it (into a `serde_json::Value`, the JSON
//! limit, or from MessagePack into the same tree) or throw it away (the feeder's ceiling).

use futures_util::{SinkExt, StreamExt};
use signalr_proto::core::msgpack;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::roles::env;

/// Reads the hub named by `COMPARE_HUB` in the `COMPARE_FRAMES` protocol until it closes.
pub async fn read_hub(parse: bool) {
    match env("COMPARE_FRAMES").as_str() {
        "messagepack" => read_messagepack(parse).await,
        "hpc" => read_classic(parse).await,
        _ => read_json(parse).await,
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn core_socket(handshake: String) -> Socket {
    let url = env("COMPARE_HUB").replacen("http", "ws", 1);
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("hub");
    socket.send(Message::text(handshake)).await.unwrap();
    socket
}

async fn read_json(parse: bool) {
    let mut socket = core_socket("{\"protocol\":\"json\",\"version\":1}\u{1e}".into()).await;
    let subscribe = format!(
        "{{\"type\":1,\"target\":\"SubscribeToEventV2\",\"arguments\":[{}]}}\u{1e}",
        env("COMPARE_EVENT")
    );
    socket.send(Message::text(subscribe)).await.unwrap();
    println!("ready");
    read_text(&mut socket, parse, |text| {
        let records = text.split_terminator('\u{1e}');
        let values = records.filter_map(|r| serde_json::from_str::<serde_json::Value>(r).ok());
        values.map(|v| v["arguments"][0].as_array().map_or(0, |a| a.len() as u64)).sum()
    })
    .await;
}

async fn read_messagepack(parse: bool) {
    let mut socket = core_socket(msgpack::handshake_request(1)).await;
    let event: i64 = env("COMPARE_EVENT").parse().expect("event id");
    let subscribe = msgpack::invocation(0, "SubscribeToEventV2", &[event.into()]);
    socket.send(Message::binary(subscribe)).await.unwrap();
    println!("ready");
    let (mut pending, mut events) = (Vec::new(), 0u64);
    while let Some(Ok(message)) = socket.next().await {
        let Message::Binary(data) = message else { continue };
        if !parse {
            std::hint::black_box(&data);
            continue;
        }
        // [1, headers, id, target, [arguments], [stream ids]]: the patches are argument 0.
        let _ = msgpack::split_records(&mut pending, &data, |body| {
            if let Ok(value) = msgpack::to_json(body) {
                events += value[4][0].as_array().map_or(0, |a| a.len() as u64);
            }
        });
        std::hint::black_box(events);
    }
}

/// A classic SignalR 2.x client as far as reading needs: negotiate, connect, start, then
/// `BeginListen` on both HPC hubs.
async fn read_classic(parse: bool) {
    use base64::Engine as _;
    let base = format!("{}/signalr", env("COMPARE_HUB").trim_end_matches('/'));
    let credentials = format!("{}:{}", crate::workload::HPC_USER, crate::workload::HPC_PASSWORD);
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials));
    let data: String = url::form_urlencoded::byte_serialize(
        br#"[{"Name":"JobEventHub"},{"Name":"TaskEventHub"}]"#,
    )
    .collect();
    let http = reqwest::Client::new();
    let get = |path: String| http.get(path).header("Authorization", &auth).send();
    let query = format!("clientProtocol=1.5&connectionData={data}");
    let negotiate: serde_json::Value =
        get(format!("{base}/negotiate?{query}")).await.unwrap().json().await.unwrap();
    let token: String = url::form_urlencoded::byte_serialize(
        negotiate["ConnectionToken"].as_str().expect("a token").as_bytes(),
    )
    .collect();
    let query = format!("transport=webSockets&{query}&connectionToken={token}");
    let ws = format!("{}/connect?{query}", base.replacen("http", "ws", 1));
    let mut request = ws.into_client_request().unwrap();
    request.headers_mut().insert("Authorization", auth.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("hub");
    let _init = socket.next().await;
    let started = get(format!("{base}/start?{query}")).await.unwrap().text().await.unwrap();
    assert!(started.contains("started"), "classic /start answered {started}");
    let job = env("COMPARE_EVENT");
    for (i, hub) in ["JobEventHub", "TaskEventHub"].iter().enumerate() {
        let invoke = format!(r#"{{"H":"{hub}","M":"BeginListen","A":[{job}],"I":"{i}"}}"#);
        socket.send(Message::text(invoke)).await.unwrap();
    }
    println!("ready");
    read_text(&mut socket, parse, |text| {
        let value = serde_json::from_str::<serde_json::Value>(text).ok();
        value.map_or(0, |v| v["M"].as_array().map_or(0, |a| a.len() as u64))
    })
    .await;
}

/// Reads text frames until the socket ends: discarded when not `parse`, else handed to
/// `events`, which parses the frame and says how many events it held.
async fn read_text<S>(socket: &mut S, parse: bool, mut events: impl FnMut(&str) -> u64)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut total = 0u64;
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        if !parse {
            std::hint::black_box(&text);
            continue;
        }
        total += events(text.as_str());
        std::hint::black_box(total);
    }
}
