//! Reaching a hub: negotiate redirects and OAuth2 tokens, end to end.

mod oauth;
mod redirect;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use super::*;

/// Everything any test in this binary logs from the bridge, from the first call on.
pub fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("signalr_bridge=trace,warn"))
            .with_writer(move || Writer(sink.clone()))
            .try_init();
        log
    })
    .clone()
}

pub struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fails if any of `secrets` appears in what was logged so far.
pub fn assert_not_logged(log: &Mutex<Vec<u8>>, secrets: &[String]) {
    let text = String::from_utf8_lossy(&log.lock().unwrap()).to_string();
    assert!(text.contains("signalr_bridge"), "the log was captured");
    for secret in secrets {
        assert!(!text.contains(secret.as_str()), "{secret} was logged");
    }
}
