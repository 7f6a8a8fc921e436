//! What a JetStream reply means: the PubAck (or API error, or "no responders" status) a publish
//! gets back on its reply subject, and which publish attempt a reply belongs to. Pure; the
//! window reads the replies and decides what to do with them.

use std::borrow::Cow;

use serde::Deserialize;

/// The outcome of one publish attempt.
pub type Outcome = Result<Stored, AckError>;

/// A PubAck: the stream holds the event (stored now, or already as a duplicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub seq: u64,
    pub duplicate: bool,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No reply within the ack timeout (or the client could not take the publish in time).
    #[error("no acknowledgement within the ack timeout")]
    Timeout,
    /// Nothing listens on the subject: no stream captures it.
    #[error("no stream captures the subject (no responders)")]
    NoStream,
    /// The client is closed; nothing can be sent.
    #[error("NATS connection closed: {0}")]
    Disconnected(String),
    /// Larger than the server's max payload or the stream's max message size: no retry can
    /// help.
    #[error("{0}")]
    TooLarge(String),
    /// The stream refused it (wrong expected last id, ...), or the reply made no sense.
    #[error("{0}")]
    Rejected(String),
}

impl AckError {
    /// The metric reason.
    pub fn reason(&self) -> &'static str {
        match self {
            AckError::Timeout => "ack_timeout",
            AckError::NoStream => "no_stream",
            AckError::Disconnected(_) => "disconnected",
            AckError::TooLarge(_) => "too_large",
            AckError::Rejected(_) => "rejected",
        }
    }
}

/// The status NATS sends in place of a reply when no one subscribes to the subject.
const NO_RESPONDERS: u16 = 503;
/// JetStream's error code for a message larger than the stream's `max_msg_size`.
const MESSAGE_EXCEEDS_MAXIMUM: u16 = 10054;

/// The reply body: a PubAck or a JetStream API error. Only what we act on is read.
#[derive(Deserialize)]
struct Reply<'a> {
    seq: Option<u64>,
    #[serde(default)]
    duplicate: bool,
    #[serde(borrow)]
    error: Option<ApiError<'a>>,
}

#[derive(Deserialize)]
struct ApiError<'a> {
    code: u16,
    #[serde(default)]
    err_code: u16,
    #[serde(borrow, default)]
    description: Cow<'a, str>,
}

/// The outcome a reply with `status` (the NATS status line, if any) and `payload` reports.
pub fn parse(status: Option<u16>, payload: &[u8]) -> Outcome {
    if status == Some(NO_RESPONDERS) && payload.is_empty() {
        return Err(AckError::NoStream);
    }
    if let Some(status) = status.filter(|_| payload.is_empty()) {
        return Err(AckError::Rejected(format!("reply with status {status} and no PubAck")));
    }
    match serde_json::from_slice::<Reply>(payload) {
        Ok(Reply { error: Some(e), .. }) => {
            let text = format!("JetStream error {} ({}): {}", e.code, e.err_code, e.description);
            Err(if e.err_code == MESSAGE_EXCEEDS_MAXIMUM {
                AckError::TooLarge(text)
            } else {
                AckError::Rejected(text)
            })
        }
        Ok(Reply { seq: Some(seq), duplicate, error: None }) => Ok(Stored { seq, duplicate }),
        Ok(Reply { seq: None, .. }) => Err(AckError::Rejected("PubAck without a sequence".into())),
        Err(e) => Err(AckError::Rejected(format!("unreadable PubAck: {e}"))),
    }
}

/// The reply subject of the attempt numbered `token`: `prefix` (which ends in a dot) + token.
pub fn reply_subject(prefix: &str, token: u64) -> String {
    use std::fmt::Write;
    let mut subject = String::with_capacity(prefix.len() + 20);
    subject.push_str(prefix);
    let _ = write!(subject, "{token}");
    subject
}

/// The attempt token a reply subject carries, if it is one of ours.
pub fn token(prefix: &str, subject: &str) -> Option<u64> {
    let digits = subject.strip_prefix(prefix)?;
    // `u64::from_str` takes a leading `+`; a token we made never has one.
    if digits.starts_with('+') {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_a_puback() {
        let ack = parse(None, br#"{"stream":"S","seq":42}"#);
        assert_eq!(ack, Ok(Stored { seq: 42, duplicate: false }));
    }

    #[test]
    fn parse_reads_a_duplicate() {
        let ack = parse(None, br#"{"stream":"S","seq":7,"duplicate":true,"domain":"d"}"#);
        assert_eq!(ack, Ok(Stored { seq: 7, duplicate: true }));
    }

    #[test]
    fn parse_reads_an_api_error_as_rejected() {
        // The description escapes quotes, so it cannot be borrowed as it is.
        let error = r#"{"code":400,"err_code":10071,"description":"wrong last msg ID: \"a:1\""}"#;
        let body = format!(r#"{{"error":{error},"stream":"S","seq":0}}"#);
        match parse(None, body.as_bytes()) {
            Err(AckError::Rejected(text)) => {
                assert_eq!(text, r#"JetStream error 400 (10071): wrong last msg ID: "a:1""#)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parse_reads_a_message_over_the_streams_maximum_as_too_large() {
        let body = r#"{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"},"stream":"S","seq":0}"#;
        assert!(matches!(parse(None, body.as_bytes()), Err(AckError::TooLarge(_))));
    }

    #[test]
    fn parse_reads_no_responders_as_no_stream() {
        assert_eq!(parse(Some(503), b""), Err(AckError::NoStream));
    }

    #[test]
    fn parse_rejects_other_statuses_and_garbage() {
        for (status, body) in
            [(Some(408), &b""[..]), (None, b""), (None, b"not json"), (None, br#"{"stream":"S"}"#)]
        {
            let outcome = parse(status, body);
            assert!(
                matches!(outcome, Err(AckError::Rejected(_))),
                "{status:?} {body:?}: {outcome:?}"
            );
        }
    }

    #[test]
    fn reasons_are_the_metric_labels() {
        let reasons = [
            (AckError::Timeout, "ack_timeout"),
            (AckError::NoStream, "no_stream"),
            (AckError::Disconnected(String::new()), "disconnected"),
            (AckError::TooLarge(String::new()), "too_large"),
            (AckError::Rejected(String::new()), "rejected"),
        ];
        for (error, reason) in reasons {
            assert_eq!(error.reason(), reason);
        }
    }

    #[test]
    fn token_round_trips_through_the_reply_subject() {
        let prefix = "_INBOX.abc.";
        for t in [0, 1, 99, u64::MAX] {
            assert_eq!(token(prefix, &reply_subject(prefix, t)), Some(t));
        }
    }

    #[test]
    fn token_ignores_foreign_subjects() {
        let prefix = "_INBOX.abc.";
        for subject in
            ["_INBOX.abd.1", "_INBOX.abc.", "_INBOX.abc.x", "_INBOX.abc.+1", "_INBOX.abc"]
        {
            assert_eq!(token(prefix, subject), None, "{subject}");
        }
    }
}
