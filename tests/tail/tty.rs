//! `tail` on a terminal (a tmux pane): what the operator sees.

use crate::pane::Pane;
use crate::{command, hpc, redmist, redmist_args};

const TOKEN: &str = "tok-S3CRET-tail";
const PASSWORD: &str = "PW-S3CRET-tail";

fn assert_no_secret(pane: &Pane) {
    for escapes in [false, true] {
        let screen = pane.screen(escapes);
        for secret in [TOKEN, PASSWORD] {
            assert!(!screen.contains(secret), "the screen shows {secret}:\n{screen}");
        }
    }
}

/// The car-patch line as `tail` prints it: clock, target, subject, normalized data.
fn shows_car_patch(screen: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains(" ReceiveCarPatches events/42/cars/") && l.contains(r#"{"number":""#))
}

#[tokio::test(flavor = "multi_thread")]
async fn screen_shows_state_subscription_decoded_invocations_and_footer() {
    let sim = redmist(Some(TOKEN)).await;
    let mut args = redmist_args(&sim);
    args.extend(["--token-env".into(), "SIM_TOKEN".into()]);
    let pane = Pane::start(&command(&args), &[("SIM_TOKEN", TOKEN), ("NO_COLOR", "")]);
    let screen = pane.wait_for("car patch", shows_car_patch).await;
    for notice in [
        "-- watching hub `tail` at ",
        "-- connecting",
        "-- connected",
        "-- subscribed: SubscribeToEventV2(42",
    ] {
        assert!(screen.contains(notice), "no `{notice}`:\n{screen}");
    }
    assert!(screen.find("-- connecting") < screen.find("-- subscribed:"), "{screen}");
    pane.wait_for("session patch", |s| s.contains(" ReceiveSessionPatch events/42 {")).await;
    // The footer holds the last line, redrawn in place: one footer, below the events.
    let mut footer = pane.last_line();
    for _ in 0..100 {
        if footer.contains(" events/s |") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        footer = pane.last_line();
    }
    assert!(
        footer.contains(" tail | subscribed | ") && footer.contains(" events/s | "),
        "{footer}"
    );
    assert_eq!(pane.screen(false).matches("Ctrl-C quits").count(), 1, "{}", pane.screen(false));
    // Colour is on for a terminal.
    assert!(pane.screen(true).contains('\x1b'), "no colour on a terminal");
    assert_no_secret(&pane);
    pane.send_keys("C-c");
    let until = std::time::Instant::now() + crate::pane::DEADLINE;
    while !pane.exited() {
        assert!(std::time::Instant::now() < until, "Ctrl-C did not stop tail");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!pane.screen(false).contains("Ctrl-C quits"), "the footer stays after exit");
}

#[tokio::test(flavor = "multi_thread")]
async fn screen_shows_a_drop_and_the_reconnect() {
    let sim = redmist(None).await;
    let pane = Pane::start(&command(&redmist_args(&sim)), &[]);
    pane.wait_for("car patch", shows_car_patch).await;
    sim.control().drop_connections();
    let screen = pane.wait_for("reconnect", |s| s.contains("-- reconnected")).await;
    let dropped = screen.lines().find(|l| l.contains("-- dropped: ")).unwrap_or_else(|| {
        panic!("no drop notice:\n{screen}");
    });
    assert!(dropped.contains("retrying in "), "{dropped}");
    let after = &screen[screen.find("-- reconnected").unwrap()..];
    assert!(after.contains("-- subscribed: SubscribeToEventV2(42"), "{screen}");
    pane.wait_for("events after the reconnect", |s| {
        s.find("-- reconnected").is_some_and(|at| shows_car_patch(&s[at..]))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_token_shows_why_and_the_retry_but_not_the_token() {
    let sim = redmist(Some("the-right-one")).await;
    let mut args = redmist_args(&sim);
    args.extend(["--token-env".into(), "SIM_TOKEN".into()]);
    let pane = Pane::start(&command(&args), &[("SIM_TOKEN", TOKEN)]);
    let screen = pane.wait_for("two refusals", |s| s.matches("-- dropped: ").count() >= 2).await;
    let dropped = screen.lines().find(|l| l.contains("-- dropped: ")).unwrap();
    assert!(dropped.contains("401") && dropped.contains("retrying in "), "{dropped}");
    assert!(!shows_car_patch(&screen), "{screen}");
    assert_no_secret(&pane);
}

#[tokio::test(flavor = "multi_thread")]
async fn classic_hub_with_basic_auth_and_no_colour() {
    let sim = hpc(PASSWORD).await;
    let url = sim.base_url().to_string();
    let args: Vec<String> = [
        "tail",
        "--url",
        &url,
        "--profile",
        "hpc-pack",
        "--job-id",
        "1",
        "--job-id",
        "2",
        "--user",
        "hpcadmin",
        "--password-env",
        "HPC_PASSWORD",
        "--target",
        "JobStateChange",
    ]
    .map(str::to_owned)
    .to_vec();
    let pane = Pane::start(&command(&args), &[("HPC_PASSWORD", PASSWORD), ("NO_COLOR", "1")]);
    pane.wait_for("the subscription", |s| s.contains("-- listening (")).await;
    let screen = pane.screen(false);
    assert!(screen.contains("-- subscribed: JobEventHub.BeginListen(1)"), "{screen}");
    let job = sim.control().submit_job_with_tasks(1);
    assert_eq!(job, 1);
    sim.control().finish(job);
    let screen = pane
        .wait_for("a job state change", |s| s.contains(" JobStateChange jobs/1 {\"jobId\":1,"))
        .await;
    assert!(!screen.contains(" TaskStateChange "), "--target let a task through:\n{screen}");
    assert!(!pane.screen(true).contains('\x1b'), "colour despite NO_COLOR");
    assert_no_secret(&pane);
}
