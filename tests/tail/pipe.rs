//! `tail` with stdout in a pipe: events only on stdout (notices on stderr), no colour, no
//! footer; `--json` lines are CloudEvents; the filters; usage errors.

use std::process::{Output, Stdio};

use serde_json::Value;
use signalr_bridge::event::EventType;
use tokio::process::Command;

use crate::pane::DEADLINE;
use crate::{redmist, redmist_args, BIN};

/// Runs `tail args` to its end (`--max-events`), stdout and stderr captured.
async fn run(args: &[String], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).env_remove("NO_COLOR").env_remove("RUST_LOG").kill_on_drop(true);
    command.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("tail stops after --max-events")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every stdout line as CloudEvents JSON, checked for the envelope's required attributes.
fn cloudevents(output: &Output) -> Vec<Value> {
    let stdout = text(&output.stdout);
    assert!(!stdout.contains('\x1b'), "escape codes in a pipe:\n{stdout}");
    stdout
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert_eq!(event["specversion"], "1.0", "{line}");
            let kind = event["type"].as_str().unwrap_or_default();
            assert!(EventType::from_type(kind).is_some(), "unknown type: {line}");
            for key in ["id", "source", "subject", "time", "partitionkey"] {
                assert!(event[key].is_string(), "no {key}: {line}");
            }
            assert!(event["data"].is_object(), "{line}");
            event
        })
        .collect()
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn json_in_a_pipe_is_cloudevents_lines_and_notices_go_to_stderr() {
    const TOKEN: &str = "tok-S3CRET-pipe";
    let sim = redmist(Some(TOKEN)).await;
    let args = with(redmist_args(&sim), &["--json", "--max-events", "30", "--token-env", "T"]);
    let output = run(&args, &[("T", TOKEN)]).await;
    assert!(output.status.success(), "{output:?}");
    let events = cloudevents(&output);
    assert_eq!(events.len(), 30);
    assert!(events.iter().any(|e| e["type"] == "racing.redmist.car.patched.v1"));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("-- connected") && stderr.contains("-- subscribed: "), "{stderr}");
    assert!(!stderr.contains('\x1b') && !stderr.contains("Ctrl-C quits"), "{stderr}");
    for out in [text(&output.stdout), stderr] {
        assert!(!out.contains(TOKEN), "the token shows:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn target_filter_keeps_only_that_method() {
    let sim = redmist(None).await;
    let args =
        with(redmist_args(&sim), &["--json", "--max-events", "3", "--target", "receivesession*"]);
    let output = run(&args, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let events = cloudevents(&output);
    assert_eq!(events.len(), 3);
    for event in events {
        assert_eq!(event["type"], "racing.redmist.session.patched.v1", "{event}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subject_filter_keeps_only_matching_subjects() {
    let sim = redmist(None).await;
    // Car numbers are 2 to 19 here: the pattern takes the two-digit ones, 10 to 19.
    let args =
        with(redmist_args(&sim), &["--json", "--max-events", "8", "--subject", "events/*/cars/1*"]);
    let output = run(&args, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let events = cloudevents(&output);
    assert_eq!(events.len(), 8);
    for event in events {
        let subject = event["subject"].as_str().unwrap();
        let car = subject.strip_prefix("events/42/cars/1").unwrap_or_else(|| panic!("{event}"));
        assert!(car.len() == 1 && car.chars().all(|c| c.is_ascii_digit()), "{event}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn human_lines_in_a_pipe_have_no_colour_and_no_footer() {
    let sim = redmist(None).await;
    let args = with(redmist_args(&sim), &["--max-events", "5", "--target", "ReceiveCarPatches"]);
    let output = run(&args, &[]).await;
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    for line in lines {
        assert!(line.contains(" ReceiveCarPatches events/42/cars/"), "{line}");
        assert!(!line.contains('\x1b') && !line.contains('\r'), "{line:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_64_and_config_errors_78() {
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["--url", "http://127.0.0.1:9/hub", "--event-id", "4"],
            64,
            "--event-id needs --profile redmist",
        ),
        (
            &["--url", "http://127.0.0.1:9/hub", "--profile", "redmist"],
            64,
            "needs at least one --event-id",
        ),
        (&["--url", "ftp://127.0.0.1:9/hub"], 64, "scheme `ftp`"),
        (
            &["--url", "http://h/", "--user", "u", "--password-env", "SB_TAIL_UNSET"],
            64,
            "SB_TAIL_UNSET",
        ),
        (&["--url", "http://h/", "--subscribe", "Join(oops"], 64, "closing `)`"),
        (&["--config", "/nonexistent/tail.yaml"], 78, "cannot read config file"),
    ];
    for (args, code, says) in cases {
        let args: Vec<String> =
            std::iter::once("tail").chain(args.iter().copied()).map(String::from).collect();
        let output = run(&args, &[]).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // clap's own refusals (no hub given, both sources given) are usage errors too.
    for args in [vec!["tail"], vec!["tail", "--config", "c.yaml", "--url", "http://h/"]] {
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        assert_eq!(run(&args, &[]).await.status.code(), Some(64), "{args:?}");
    }
}
