//! How a subscription's invocation last ended on the current connection, for `/status`, `tail`
//! and the admin API.

use std::fmt;

use serde::{Serialize, Serializer};

/// How a subscription's invocation last ended. `/status` shows it as one string: `pending`,
/// `ok`, `error: …` or `skipped: …`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LastResult {
    /// Not answered yet on this connection.
    #[default]
    Pending,
    /// The server completed the invocation without an error.
    Ok,
    /// The server answered with this error, or the bridge could not make the invocation.
    Error(String),
    /// Deliberately not invoked, for this reason (an HPC job that already ended).
    Skipped(String),
}

impl fmt::Display for LastResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LastResult::Pending => f.write_str("pending"),
            LastResult::Ok => f.write_str("ok"),
            LastResult::Error(error) => write!(f, "error: {error}"),
            LastResult::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

impl Serialize for LastResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_as_the_one_string_status_has_always_shown() {
        let all = [
            (LastResult::Pending, "pending"),
            (LastResult::Ok, "ok"),
            (LastResult::Error("no such job".into()), "error: no such job"),
            (LastResult::Skipped("the job ended".into()), "skipped: the job ended"),
        ];
        for (result, text) in all {
            assert_eq!(result.to_string(), text);
            assert_eq!(serde_json::to_value(&result).unwrap(), serde_json::json!(text));
        }
    }
}
