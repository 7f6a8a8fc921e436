//! A numeric setting out of range is refused before anything starts, by the binary itself:
//! `check-config` and `run` both exit 78 (EX_CONFIG) naming the key, where an oversized queue
//! used to pass `check-config` and then panic `run` (exit 101).

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
