//! How the Kafka producer proves who it is and whom it talks to: TLS (CA, client certificate and
//! key) and SASL (PLAIN, SCRAM-SHA-256/512), as typed settings that become librdkafka's
//! `security.protocol`, `ssl.*` and `sasl.*`. Secrets come from the file, a file of their own,
//! or the environment layer (`SIGNALR_BRIDGE__SINK__KAFKA__SASL__PASSWORD`), and never print.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret};

/// TLS to the brokers. Present (even empty) means TLS on, verified against `ca_file` or the
/// system's CA store.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaTls {
    /// PEM file with the CA certificates that sign the brokers' certificates (`ssl.ca.location`).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate for mutual TLS (`ssl.certificate.location`); needs `key_file`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file` (`ssl.key.location`).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Password of an encrypted `key_file` (`ssl.key.password`), never logged.
    #[serde(default)]
    pub key_password: Option<Secret>,
    /// A file holding that password (read at start; a trailing newline is ignored), for a
    /// mounted Kubernetes Secret. Exclusive with `key_password`.
    #[serde(default)]
    pub key_password_file: Option<PathBuf>,
}

/// SASL authentication to the brokers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSasl {
    /// `plain`, `scram_sha_256` or `scram_sha_512` (`sasl.mechanism`). PLAIN sends the password
    /// as is: use it only with `tls`.
    pub mechanism: SaslMechanism,
    /// The user name (`sasl.username`).
    pub username: String,
    /// The password (`sasl.password`), never logged. Prefer `password_file` or the environment.
    #[serde(default)]
    pub password: Option<Secret>,
    /// A file holding the password (read at start; a trailing newline is ignored). Exclusive
    /// with `password`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
}

/// The SASL mechanisms the bridge supports.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SaslMechanism {
    #[serde(alias = "PLAIN")]
    Plain,
    #[serde(rename = "scram_sha_256", alias = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "scram_sha_512", alias = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    /// The librdkafka `sasl.mechanism` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// The librdkafka `security.protocol` for this combination.
pub fn security_protocol(tls: Option<&KafkaTls>, sasl: Option<&KafkaSasl>) -> &'static str {
    match (tls.is_some(), sasl.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    }
}

/// Whether secrets kept in files are read: at connect, yes; when checking a config (which may be
/// checked where the secrets are not mounted), an empty placeholder stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFiles {
    Read,
    Placeholder,
}

/// The `ssl.*` and `sasl.*` properties.
pub fn security_properties(
    tls: Option<&KafkaTls>,
    sasl: Option<&KafkaSasl>,
    files: SecretFiles,
) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let mut out = vec![("security.protocol", security_protocol(tls, sasl).to_owned())];
    if let Some(tls) = tls {
        let paths = [
            ("ssl.ca.location", &tls.ca_file),
            ("ssl.certificate.location", &tls.cert_file),
            ("ssl.key.location", &tls.key_file),
        ];
        for (name, path) in paths {
            if let Some(path) = path {
                out.push((name, path.display().to_string()));
            }
        }
        let key = "sink.kafka.tls.key_password";
        if let Some(password) = secret(key, &tls.key_password, &tls.key_password_file, files)? {
            out.push(("ssl.key.password", password.expose().to_owned()));
        }
    }
    if let Some(sasl) = sasl {
        out.push(("sasl.mechanism", sasl.mechanism.as_str().to_owned()));
        out.push(("sasl.username", sasl.username.clone()));
        let key = "sink.kafka.sasl.password";
        if let Some(password) = secret(key, &sasl.password, &sasl.password_file, files)? {
            out.push(("sasl.password", password.expose().to_owned()));
        }
    }
    Ok(out)
}

/// The secret given inline or in a file (read now, trailing newline dropped).
fn secret(
    key: &str,
    inline: &Option<Secret>,
    file: &Option<PathBuf>,
    files: SecretFiles,
) -> Result<Option<Secret>, ConfigError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(invalid(
            key,
            format!("both `{}` and `{}_file` are set", leaf(key), leaf(key)),
            "keep one of them",
        )),
        (Some(secret), None) => Ok(Some(secret.clone())),
        (None, Some(_)) if files == SecretFiles::Placeholder => Ok(Some(Secret::new(""))),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(Secret::new(text.trim_end_matches(['\r', '\n'])))),
            Err(e) => Err(invalid(
                &format!("{key}_file"),
                format!("cannot read {}: {e}", path.display()),
                "mount the secret at that path, or fix the path",
            )),
        },
        (None, None) => Ok(None),
    }
}

/// The cross-field rules: a password for SASL, a key with a client certificate. Files are read
/// at connect, where a missing one is an error naming its key.
pub fn validate(tls: Option<&KafkaTls>, sasl: Option<&KafkaSasl>) -> Result<(), ConfigError> {
    if let Some(sasl) = sasl {
        if sasl.username.trim().is_empty() {
            return Err(invalid("sink.kafka.sasl.username", "empty".into(), "set the user name"));
        }
        if sasl.password.is_none() && sasl.password_file.is_none() {
            return Err(invalid(
                "sink.kafka.sasl.password",
                "SASL needs a password".into(),
                "set `password_file` (or `password`, or SIGNALR_BRIDGE__SINK__KAFKA__SASL__PASSWORD)",
            ));
        }
    }
    if let Some(tls) = tls {
        if tls.cert_file.is_some() != tls.key_file.is_some() {
            return Err(invalid(
                "sink.kafka.tls.key_file",
                "a client certificate and its key go together".into(),
                "set both `cert_file` and `key_file`, or neither",
            ));
        }
    }
    security_properties(tls, sasl, SecretFiles::Placeholder).map(drop)
}

fn leaf(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn invalid(key: &str, problem: String, fix: &str) -> ConfigError {
    ConfigError::Invalid { key: key.into(), problem, fix: fix.into() }
}
