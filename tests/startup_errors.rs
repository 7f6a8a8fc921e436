//! What the binary says and how it exits when it cannot start: a config it refuses exits 78
//! (EX_CONFIG) from `check-config` and `run` alike, naming the key and the fix (a numeric setting
//! out of range used to pass `check-config` and then panic `run` with exit 101; a wrong enum
//! value did not say the valid ones); a command line it cannot use exits 64 (EX_USAGE) whatever
//! the command.

use std::process::Command;

fn bridge(args: &[&str], config: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signalr-bridge"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn an_oversized_queue_is_a_config_error_in_check_config_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    let text = "hubs:\n  - name: a\n    url: http://127.0.0.1:1/hub\nsink: { kind: stdout }\n\
                admin: { enabled: false }\nqueue: { capacity: 99999999999999999999 }\n";
    std::fs::write(&config, text).unwrap();
    for command in ["check-config", "run"] {
        let out = bridge(&[command], &config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{command}: {stderr}");
        assert!(
            stderr.contains("queue.capacity") && stderr.contains("fix:"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
}

/// `check-config` on `yaml`: the exit code and stderr.
fn check(yaml: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, yaml).unwrap();
    let out = bridge(&["check-config"], &config);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_wrong_value_says_the_valid_ones_and_a_missing_section_says_to_add_it() {
    let hub = "hubs:\n  - name: a\n    url: http://127.0.0.1:1/hub\n";
    let (code, said) = check(&format!("{hub}    protocol: msgpack\nsink: {{ kind: stdout }}\n"));
    assert_eq!(code, Some(78));
    assert!(
        said.contains("hubs[0].protocol") && said.contains("fix: use `json` or `messagepack`"),
        "{said}"
    );
    let (code, said) = check(&format!("{hub}sink: {{ kind: rabbitmq }}\n"));
    assert_eq!(code, Some(78));
    assert!(said.contains("`stdout`") && said.contains("`kafka`"), "{said}");
    let (code, said) = check(hub);
    assert_eq!(code, Some(78));
    assert!(said.contains("\"sink\"") && said.contains("fix: add the key"), "{said}");
    let (code, said) =
        check(&format!("{hub}    keepalive_interval_secs: fifteen\nsink: {{ kind: stdout }}\n"));
    assert_eq!(code, Some(78));
    assert!(said.contains("fix: write a whole number"), "{said}");
}

#[test]
fn a_command_line_it_cannot_use_exits_64_whatever_the_command() {
    for args in [&["run", "--nope"][..], &["check-config"], &["tail", "--nope"], &["nope"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_signalr-bridge")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_signalr-bridge")).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
}
