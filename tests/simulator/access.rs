//! Negotiate redirects and the OAuth2 token endpoint, at the HTTP level.

use std::time::Duration;

use serde_json::Value;
use signalr_sim::{OAuthClient, Redirect, SimOptions, Simulator};

use crate::support::*;

async fn negotiate_at(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().post(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn negotiate_url(hub: &str) -> String {
    let mut url = url::Url::parse(hub).unwrap();
    let path = format!("{}/negotiate", url.path());
    url.set_path(&path);
    url.query_pairs_mut().append_pair("negotiateVersion", "1");
    url.to_string()
}

async fn token(sim: &Simulator, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new().post(sim.control().token_url()).form(form).send().await.unwrap()
}

#[tokio::test]
async fn a_redirect_chain_leads_back_to_the_hub_with_its_token() {
    let sim = start(SimOptions::default()).await;
    sim.control().set_required_token(Some("app".into()));
    sim.control()
        .set_redirect(Redirect::Chain { hops: 2, access_token: Some("redirected".into()) });
    let mut hub = sim.hub_url().to_string();
    for hop in 1..=2 {
        let token = if hop == 1 { "app" } else { "redirected" };
        let body: Value =
            negotiate_at(&negotiate_url(&hub), Some(token)).await.json().await.unwrap();
        assert_eq!(body["accessToken"], "redirected");
        hub = body["url"].as_str().unwrap().to_string();
        assert!(hub.ends_with(&format!("/status/event-status?redirect_hop={hop}")), "{hub}");
    }
    // After a redirect with a token, only that token opens the door.
    assert_eq!(negotiate_at(&negotiate_url(&hub), Some("app")).await.status(), 401);
    let body: Value =
        negotiate_at(&negotiate_url(&hub), Some("redirected")).await.json().await.unwrap();
    assert!(body["connectionToken"].is_string(), "{body}");
    assert_eq!(sim.control().tokens_presented(), ["app", "redirected", "app", "redirected"]);
}

#[tokio::test]
async fn a_redirect_loop_always_points_at_the_same_hop() {
    let sim = start(SimOptions::default()).await;
    sim.control().set_redirect(Redirect::Loop);
    let first: Value =
        negotiate_at(&negotiate_url(sim.hub_url().as_str()), None).await.json().await.unwrap();
    let target = first["url"].as_str().unwrap();
    let second: Value = negotiate_at(&negotiate_url(target), None).await.json().await.unwrap();
    assert_eq!(second["url"], first["url"]);
    assert!(first.get("accessToken").is_none());
    sim.control().set_redirect(Redirect::Off);
    let body: Value =
        negotiate_at(&negotiate_url(sim.hub_url().as_str()), None).await.json().await.unwrap();
    assert!(body["connectionToken"].is_string());
}

#[tokio::test]
async fn the_token_endpoint_checks_the_client_and_its_tokens_expire() {
    let sim = start(SimOptions::default()).await;
    let creds = [("grant_type", "client_credentials"), ("client_id", "bridge")];
    assert_eq!(token(&sim, &[creds[0], creds[1], ("client_secret", "x")]).await.status(), 401);
    sim.control().set_oauth_client(Some(OAuthClient {
        client_id: "bridge".into(),
        client_secret: "s3cret".into(),
        ttl: Duration::from_secs(1),
    }));
    let wrong = token(&sim, &[creds[0], creds[1], ("client_secret", "nope")]).await;
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["error"], "invalid_client");
    let bad_grant = token(&sim, &[("grant_type", "password"), creds[1]]).await;
    assert_eq!(bad_grant.status(), 400);

    let form = [creds[0], creds[1], ("client_secret", "s3cret"), ("scope", "hub")];
    let ok: Value = token(&sim, &form).await.json().await.unwrap();
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["expires_in"], 1);
    assert_eq!(ok["scope"], "hub");
    let access = ok["access_token"].as_str().unwrap();
    let negotiate = negotiate_url(sim.hub_url().as_str());
    assert_eq!(negotiate_at(&negotiate, None).await.status(), 401);
    assert_eq!(negotiate_at(&negotiate, Some(access)).await.status(), 200);
    // HTTP Basic client authentication works too.
    let basic = reqwest::Client::new()
        .post(sim.control().token_url())
        .basic_auth("bridge", Some("s3cret"))
        .form(&[creds[0]])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(negotiate_at(&negotiate, Some(access)).await.status(), 401, "expired");
    assert_eq!(sim.control().tokens_issued().len(), 2);
}

#[tokio::test]
async fn sim_http_routes_steer_redirects_and_the_token_endpoint() {
    let sim = start(SimOptions::default()).await;
    let base = format!("http://{}/_sim", sim.addr);
    let client = reqwest::Client::new();
    let negotiate = negotiate_url(sim.hub_url().as_str());
    client.post(format!("{base}/redirect?hops=1&access_token=r")).send().await.unwrap();
    let body: Value = negotiate_at(&negotiate, None).await.json().await.unwrap();
    assert_eq!(body["accessToken"], "r", "{body}");
    client.post(format!("{base}/redirect?loop=true")).send().await.unwrap();
    let body: Value = negotiate_at(&negotiate, None).await.json().await.unwrap();
    assert!(body["url"].as_str().unwrap().ends_with("redirect_hop=1"), "{body}");
    client.post(format!("{base}/redirect")).send().await.unwrap();
    let body: Value = negotiate_at(&negotiate, None).await.json().await.unwrap();
    assert!(body["connectionToken"].is_string(), "{body}");

    client
        .post(format!("{base}/oauth?client_id=c&client_secret=s&ttl_secs=5"))
        .send()
        .await
        .unwrap();
    let form = [("grant_type", "client_credentials"), ("client_id", "c"), ("client_secret", "s")];
    let ok: Value = token(&sim, &form).await.json().await.unwrap();
    assert_eq!(ok["expires_in"], 5);
    let access = ok["access_token"].as_str().unwrap();
    assert_eq!(negotiate_at(&negotiate, None).await.status(), 401, "tokens are required now");
    assert_eq!(negotiate_at(&negotiate, Some(access)).await.status(), 200);
    client.post(format!("{base}/oauth")).send().await.unwrap();
    assert_eq!(token(&sim, &form).await.status(), 401, "the endpoint is off again");
    assert_eq!(negotiate_at(&negotiate, None).await.status(), 200);
}
