//! Unit tests of the `tail` command line: flags into a hub config, config files, errors.

use clap::Parser;

use super::args::{TailArgs, UsageError, EXIT_USAGE};
use crate::config::{Dialect, HubConfig, ProfileKind, EXIT_CONFIG};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    tail: TailArgs,
}

fn parse(args: &[&str]) -> Result<TailArgs, clap::Error> {
    Cli::try_parse_from(std::iter::once("tail").chain(args.iter().copied())).map(|c| c.tail)
}

fn env(var: &str) -> Option<String> {
    match var {
        "PW" => Some("PW-S3CRET".into()),
        "TOKEN" => Some("TOKEN-S3CRET".into()),
        _ => None,
    }
}

fn resolve(args: &[&str]) -> Result<HubConfig, UsageError> {
    parse(args).unwrap().hub.resolve(&env).map(|(hub, _)| hub)
}

#[test]
fn redmist_flags_make_the_profile_subscriptions() {
    let hub = resolve(&[
        "--url",
        "http://127.0.0.1:5080/status/event-status",
        "--profile",
        "redmist",
        "--event-id",
        "42",
        "--skip-negotiation",
        "--protocol",
        "messagepack",
        "--token-env",
        "TOKEN",
    ])
    .unwrap();
    assert_eq!(hub.name, "tail");
    assert_eq!((hub.dialect, hub.profile), (Dialect::Core, ProfileKind::Redmist));
    assert!(hub.skip_negotiation);
    assert_eq!(hub.redmist.unwrap().event_ids, [42]);
    assert_eq!(hub.auth.bearer_token.unwrap().expose(), "TOKEN-S3CRET");
}

#[test]
fn hpc_flags_default_to_classic_with_basic_auth_from_env() {
    let hub = resolve(&[
        "--url",
        "http://head/hpc",
        "--profile",
        "hpc-pack",
        "--job-id",
        "7",
        "--job-id",
        "8",
        "--user",
        "hpcadmin",
        "--password-env",
        "PW",
        "--hub",
        "cluster",
    ])
    .unwrap();
    assert_eq!((hub.name.as_str(), hub.dialect), ("cluster", Dialect::Classic));
    assert_eq!(hub.hpc_pack.unwrap().job_ids, [7, 8]);
    assert_eq!(hub.auth.username.as_deref(), Some("hpcadmin"));
    assert_eq!(hub.auth.password.unwrap().expose(), "PW-S3CRET");
}

#[test]
fn generic_subscriptions_parse_into_calls() {
    let hub = resolve(&["--url", "http://h/chat", "--subscribe", "Join(\"room\", 2)"]).unwrap();
    assert_eq!(hub.subscriptions[0].method, "Join");
    assert_eq!(hub.subscriptions[0].arguments, [serde_json::json!("room"), serde_json::json!(2)]);
}

#[test]
fn flag_errors_are_usage_errors() {
    let cases: [(&[&str], &str); 6] = [
        (&["--url", "http://h/", "--job-id", "1"], "--job-id needs --profile hpc-pack"),
        (&["--url", "http://h/", "--profile", "hpc-pack"], "at least one --job-id"),
        (&["--url", "http://h/", "--token-env", "UNSET"], "UNSET is not set"),
        (&["--url", "ws2://h/"], "scheme `ws2`"),
        (&["--url", "http://h/", "--hub", "bad name"], "hubs[0].name"),
        (&["--url", "http://h/", "--subscribe", "1up()"], "--subscribe `1up()`"),
    ];
    for (args, says) in cases {
        let error = resolve(args).unwrap_err();
        assert_eq!(error.exit_code(), EXIT_USAGE, "{args:?}");
        assert!(error.to_string().contains(says), "{args:?}: {error}");
    }
}

#[test]
fn clap_refuses_mixed_sources_and_half_credentials() {
    assert!(parse(&[]).is_err());
    assert!(parse(&["--config", "c.yaml", "--url", "http://h/"]).is_err());
    assert!(parse(&["--config", "c.yaml", "--dialect", "classic"]).is_err());
    assert!(parse(&["--url", "http://h/", "--user", "u"]).is_err());
    assert!(parse(&["--url", "http://h/", "--token-env", "T", "--token-file", "f"]).is_err());
    assert!(parse(&["--url", "http://h/", "--color", "sometimes"]).is_err());
}

fn config_file(hubs: &str) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(file.path(), format!("hubs:\n{hubs}sink: {{ kind: stdout }}\n")).unwrap();
    file
}

#[test]
fn config_file_hub_is_picked_by_name_or_alone() {
    let two = config_file(
        "  - { name: a, url: 'http://h/a' }\n  - { name: b, url: 'http://h/b', dialect: classic }\n",
    );
    let path = two.path().to_str().unwrap();
    assert_eq!(resolve(&["--config", path, "--hub", "b"]).unwrap().dialect, Dialect::Classic);
    let which = resolve(&["--config", path]).unwrap_err();
    assert!(which.to_string().contains("several hubs (a, b)"), "{which}");
    let unknown = resolve(&["--config", path, "--hub", "c"]).unwrap_err();
    assert!(unknown.to_string().contains("its hubs: a, b"), "{unknown}");
    assert_eq!(unknown.exit_code(), EXIT_USAGE);
    let one = config_file("  - { name: only, url: 'http://h/' }\n");
    assert_eq!(resolve(&["--config", one.path().to_str().unwrap()]).unwrap().name, "only");
}

#[test]
fn bad_config_file_exits_as_check_config_does() {
    let bad = config_file("  - { name: a, url: 'http://h/', colour: red }\n");
    let error = resolve(&["--config", bad.path().to_str().unwrap()]).unwrap_err();
    assert!(matches!(error, UsageError::Config(_)), "{error}");
    assert_eq!(error.exit_code(), EXIT_CONFIG as u8);
}
