//! What a configuration error says, and the checks more than one section uses. The leaf every
//! validator imports, so the validators and `load` (which calls them) import one way.

/// A configuration that cannot be used. The message names the key and what would fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("invalid config: {0}")]
    Parse(String),
    #[error("invalid config at `{key}`: {problem}; fix: {fix}")]
    Invalid { key: String, problem: String, fix: String },
}

pub(super) fn invalid(
    key: impl Into<String>,
    problem: impl Into<String>,
    fix: &str,
) -> ConfigError {
    ConfigError::Invalid { key: key.into(), problem: problem.into(), fix: fix.into() }
}

/// Placeholders known, braces closed, not empty, no white space.
pub(super) fn check_template(key: &str, template: &str) -> Result<(), ConfigError> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(invalid(key, "has an unclosed `{`", "close every placeholder"));
        };
        let name = &rest[open + 1..open + close];
        if !matches!(name, "hub" | "type" | "key") {
            return Err(invalid(
                key,
                format!("unknown placeholder `{{{name}}}`"),
                "use {hub}, {type} or {key}",
            ));
        }
        rest = &rest[open + close + 1..];
    }
    if template.is_empty() || template.contains(char::is_whitespace) {
        return Err(invalid(
            key,
            "empty or contains white space",
            "use e.g. `signalr.{hub}.{type}`",
        ));
    }
    Ok(())
}
