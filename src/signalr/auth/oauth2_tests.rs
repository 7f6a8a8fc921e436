//! The token answer, the renewal rule, and real requests to the simulator's token endpoint.

use std::io::Write;

use signalr_sim::{OAuthClient, Simulator, SimulatorConfig};

use super::*;

const AT: &str = "https://idp/token";

fn secret() -> Secret {
    Secret::new("s3cret-value")
}

#[test]
fn read_answer_takes_the_token_and_its_lifetime() {
    let body = br#"{"access_token":"abc","token_type":"bearer","expires_in":300}"#;
    let answer = read_answer(200, body, AT, &secret()).unwrap();
    assert_eq!(answer.token.expose(), "abc");
    assert_eq!(answer.expires_in, Some(Duration::from_secs(300)));
    let body = br#"{"access_token":"abc","expires_in":"60"}"#;
    assert_eq!(
        read_answer(200, body, AT, &secret()).unwrap().expires_in,
        Some(Duration::from_secs(60))
    );
    let body = br#"{"access_token":"abc"}"#;
    assert_eq!(read_answer(200, body, AT, &secret()).unwrap().expires_in, None);
}

#[test]
fn read_answer_errors_are_clear_and_never_hold_the_secret() {
    let body = br#"{"error":"invalid_client","error_description":"bad secret s3cret-value"}"#;
    let e = read_answer(401, body, AT, &secret()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the token endpoint https://idp/token refused the client credentials \
         (HTTP 401: invalid_client: bad secret <redacted>)"
    );
    assert_eq!(e.outcome(), "refused");
    let e = read_answer(502, b"<html>", AT, &secret()).unwrap_err();
    assert!(matches!(e, TokenEndpointError::Status { status: 502, .. }), "{e}");
    for body in [&br#"{"token_type":"bearer"}"#[..], br#"{"access_token":""}"#, b"nope"] {
        let e = read_answer(200, body, AT, &secret()).unwrap_err();
        assert!(matches!(e, TokenEndpointError::Malformed(_)), "{e}");
    }
    let dpop = br#"{"access_token":"a","token_type":"DPoP"}"#;
    assert!(read_answer(200, dpop, AT, &secret()).unwrap_err().to_string().contains("DPoP"));
}

#[test]
fn renew_after_keeps_a_margin_of_at_most_half_the_lifetime() {
    let secs = Duration::from_secs;
    assert_eq!(renew_after(Some(secs(300)), 30), secs(270));
    assert_eq!(renew_after(Some(secs(10)), 30), secs(5));
    assert_eq!(renew_after(Some(secs(10)), 0), secs(10));
    assert_eq!(renew_after(None, 30), Duration::ZERO);
}

async fn endpoint(ttl_secs: u64) -> Simulator {
    let config = SimulatorConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rate_per_sec: 0,
        ..SimulatorConfig::default()
    };
    let sim = Simulator::start(config).await.unwrap();
    sim.control().set_oauth_client(Some(OAuthClient {
        client_id: "bridge".into(),
        client_secret: "s3cret-value".into(),
        ttl: Duration::from_secs(ttl_secs),
    }));
    sim
}

fn source(sim: &Simulator, secret: &str, client_auth: ClientAuth) -> TokenSource {
    let config = OAuth2Config {
        token_url: sim.control().token_url(),
        client_id: "bridge".into(),
        client_secret: Some(Secret::new(secret)),
        client_secret_file: None,
        client_secret_env: None,
        scope: Some("hub".into()),
        client_auth,
        refresh_margin_secs: 30,
    };
    TokenSource::new(config, reqwest::Client::new())
}

#[tokio::test]
async fn fresh_fetches_every_time_and_current_reuses_a_good_token() {
    let sim = endpoint(300).await;
    for auth in [ClientAuth::Post, ClientAuth::Basic] {
        let tokens = source(&sim, "s3cret-value", auth);
        let first = tokens.fresh().await.unwrap();
        assert!(sim.control().tokens_issued().contains(&first.expose().to_string()));
        assert_eq!(tokens.current().await.unwrap(), first, "cached: 270 s left");
        assert_ne!(tokens.fresh().await.unwrap(), first);
    }
    // One second of lifetime: the margin is half of it, so the token is renewed by then.
    let sim = endpoint(1).await;
    let tokens = source(&sim, "s3cret-value", ClientAuth::Post);
    let first = tokens.current().await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_ne!(tokens.current().await.unwrap(), first);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_without_showing_it() {
    let sim = endpoint(300).await;
    let e = source(&sim, "wrong-secret-42", ClientAuth::Post).fresh().await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, TokenEndpointError::Refused { status: 401, .. }), "{text}");
    assert!(text.contains("invalid_client") && text.contains("/oauth2/token"), "{text}");
    assert!(!text.contains("wrong-secret-42"), "{text}");
}

#[tokio::test]
async fn the_secret_file_is_read_for_every_request_and_a_missing_env_is_named() {
    let sim = endpoint(300).await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "wrong").unwrap();
    let mut tokens = source(&sim, "", ClientAuth::Post);
    tokens.config.client_secret = None;
    tokens.config.client_secret_file = Some(file.path().to_path_buf());
    assert!(tokens.fresh().await.is_err());
    std::fs::write(file.path(), "s3cret-value\n").unwrap();
    assert!(tokens.fresh().await.is_ok());
    tokens.config.client_secret_file = None;
    tokens.config.client_secret_env = Some("SIGNALR_BRIDGE_TEST_UNSET_SECRET_VAR".into());
    let e = tokens.fresh().await.unwrap_err().to_string();
    assert!(e.contains("SIGNALR_BRIDGE_TEST_UNSET_SECRET_VAR is not set"), "{e}");
}
