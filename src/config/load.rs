//! Loading (defaults, file, environment) and the cross-field rules serde cannot express. The
//! rules of one section live beside it (`admin`, `auth`, `discovery`, `kafka`); this module
//! calls them, they never call back.

use std::collections::HashSet;
use std::path::Path;

use super::error::{check_template, invalid, ConfigError};
use super::{Config, ProfileKind, SinkKind};

/// The environment prefix: `SIGNALR_BRIDGE__SINK__KIND=nats` sets `sink.kind`.
pub const ENV_PREFIX: &str = "SIGNALR_BRIDGE";

/// Builds the config from compiled defaults, then `file`, then `SIGNALR_BRIDGE__A__B` entries of
/// `env`, and validates it.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, ConfigError> {
    let mut builder = config::Config::builder();
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::Read {
                path: path.display().to_string(),
                reason: "no such file".into(),
            });
        }
        builder = builder.add_source(config::File::from(path));
    }
    let prefix = format!("{ENV_PREFIX}__");
    let env: config::Map<String, String> =
        env.into_iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
    builder = builder.add_source(
        config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(env)),
    );
    let raw = builder.build().map_err(|e| match e {
        config::ConfigError::Foreign(inner) => ConfigError::Read {
            path: file.map(|p| p.display().to_string()).unwrap_or_default(),
            reason: inner.to_string(),
        },
        other => ConfigError::Parse(other.to_string()),
    })?;
    let mut config: Config = raw.try_deserialize().map_err(|e| ConfigError::Parse(explain(e)))?;
    config.validate()?;
    config.cover_outages_in_duplicate_window();
    Ok(config)
}

/// Adds the fix to serde's messages, which already name the key.
fn explain(error: config::ConfigError) -> String {
    let text = dotted_keys(&error.to_string());
    if text.contains("unknown field") {
        format!("{text}; fix: remove the key or correct its spelling (keys are snake_case)")
    } else if text.contains("missing field") || text.contains("missing configuration field") {
        format!("{text}; fix: add the key (docs/configuration.md lists every key and its values)")
    } else if text.contains("unknown variant") {
        format!("{text}; fix: use one of the listed values")
    } else if let Some(values) = enum_values(&text) {
        format!("{text}; fix: use {values}")
    } else if text.contains("does not have variant") {
        format!("{text}; fix: use one of the values documented for the key")
    } else if text.contains("expected an integer") || text.contains("expected u") {
        format!("{text}; fix: write a whole number without quotes or units")
    } else if text.contains("expected a boolean") {
        format!("{text}; fix: write true or false")
    } else {
        text
    }
}

/// The values of the enum a "does not have variant" error names.
fn enum_values(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("enum ")?;
    let (name, _) = rest.split_once(" does not have variant")?;
    super::enums::values_of(name)
}

/// The config crate names a field inside a list element `hubs[0]protocol`; users write
/// `hubs[0].protocol`.
fn dotted_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == ']' && chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || *n == '_') {
            out.push('.');
        }
    }
    out
}

impl Config {
    /// The rules between fields. Returns the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.hubs.is_empty() {
            return Err(invalid("hubs", "no hub is configured", "add at least one hub"));
        }
        let mut names = HashSet::new();
        for (i, hub) in self.hubs.iter().enumerate() {
            let key = |field: &str| format!("hubs[{i}].{field}");
            let name_ok = !hub.name.is_empty()
                && hub.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                return Err(invalid(
                    key("name"),
                    "empty or has characters other than letters, digits, '-' and '_'",
                    "use a short name such as `redmist-live`",
                ));
            }
            if !names.insert(hub.name.as_str()) {
                return Err(invalid(
                    key("name"),
                    format!("`{}` is used twice", hub.name),
                    "give every hub its own name",
                ));
            }
            if !matches!(hub.url.scheme(), "http" | "https" | "ws" | "wss") {
                return Err(invalid(
                    key("url"),
                    format!("scheme `{}` is not supported", hub.url.scheme()),
                    "use an http, https, ws or wss URL",
                ));
            }
            match (hub.profile, &hub.redmist) {
                (ProfileKind::Redmist, None) => {
                    return Err(invalid(
                        key("redmist"),
                        "profile `redmist` needs a `redmist` section",
                        "add `redmist: { event_ids: [<id>] }`",
                    ));
                }
                (ProfileKind::Redmist, Some(rm))
                    if rm.event_ids.is_empty()
                        && !self.admin.api.enabled
                        && hub.discovery.is_none() =>
                {
                    return Err(invalid(
                        key("redmist.event_ids"),
                        "no event id given",
                        "list at least one RedMist event id, or enable `admin.api` or `discovery`",
                    ));
                }
                (ProfileKind::Generic | ProfileKind::HpcPack, Some(_)) => {
                    return Err(invalid(
                        key("redmist"),
                        "a `redmist` section needs `profile: redmist`",
                        "set `profile: redmist` or remove the section",
                    ));
                }
                _ => {}
            }
            validate_hpc_pack(hub, &key, self.admin.api.enabled || hub.discovery.is_some())?;
            super::discovery::validate_discovery(hub, &key)?;
            if hub.dialect == super::Dialect::Classic && hub.profile == ProfileKind::Redmist {
                return Err(invalid(
                    key("dialect"),
                    "RedMist speaks ASP.NET Core SignalR",
                    "set `dialect: core`",
                ));
            }
            if hub.dialect == super::Dialect::Classic && hub.protocol != super::HubProtocol::Json {
                return Err(invalid(
                    key("protocol"),
                    "classic SignalR speaks JSON only",
                    "remove `protocol` or set `protocol: json`",
                ));
            }
            if hub.stateful_reconnect
                && (hub.skip_negotiation || hub.dialect != super::Dialect::Core)
            {
                return Err(invalid(
                    key("stateful_reconnect"),
                    "stateful reconnect needs an ASP.NET Core hub reached through negotiate",
                    "remove `skip_negotiation` (and use `dialect: core`) or `stateful_reconnect`",
                ));
            }
            if hub.dialect == super::Dialect::Classic && hub.skip_negotiation {
                return Err(invalid(
                    key("skip_negotiation"),
                    "classic SignalR always negotiates",
                    "remove `skip_negotiation`",
                ));
            }
            if hub.dialect == super::Dialect::Classic && hub.profile == ProfileKind::Generic {
                if let Some(i) = hub.subscriptions.iter().position(|s| s.hub.is_none()) {
                    return Err(invalid(
                        key(&format!("subscriptions[{i}].hub")),
                        "a classic subscription must name its hub",
                        "add `hub: <HubName>`",
                    ));
                }
            }
            super::auth::validate_auth(&hub.auth, &key)?;
            for (field, value) in [
                ("keepalive_interval_secs", hub.keepalive_interval_secs),
                ("server_timeout_secs", hub.server_timeout_secs),
                ("handshake_timeout_secs", hub.handshake_timeout_secs),
            ] {
                if value == 0 {
                    return Err(invalid(
                        key(field),
                        "must be above 0",
                        "use a number of seconds, e.g. 15",
                    ));
                }
            }
            if hub.server_timeout_secs <= hub.keepalive_interval_secs {
                return Err(invalid(
                    key("server_timeout_secs"),
                    "must exceed keepalive_interval_secs",
                    "use about twice the server's keep-alive interval (30 for 15)",
                ));
            }
            let rc = &hub.reconnect;
            if rc.initial_delay_ms == 0 || rc.initial_delay_ms > rc.max_delay_ms {
                return Err(invalid(
                    key("reconnect"),
                    "initial_delay_ms must be above 0 and at most max_delay_ms",
                    "e.g. initial_delay_ms: 500, max_delay_ms: 30000",
                ));
            }
            if !(rc.multiplier >= 1.0 && rc.multiplier.is_finite()) {
                return Err(invalid(key("reconnect.multiplier"), "must be at least 1", "use 2"));
            }
            if !(0.0..=1.0).contains(&rc.jitter) {
                return Err(invalid(key("reconnect.jitter"), "must be between 0 and 1", "use 0.2"));
            }
        }
        super::admin::validate_admin_api(self)?;
        super::limits::check(self)?;
        self.validate_sink()
    }

    fn validate_sink(&self) -> Result<(), ConfigError> {
        let sink = &self.sink;
        match sink.kind {
            SinkKind::File if sink.file.is_none() => {
                return Err(invalid(
                    "sink.file",
                    "sink kind `file` needs a `file` section",
                    "add `file: { path: events.jsonl }`",
                ));
            }
            SinkKind::Nats => {
                let nats = sink.nats.clone().unwrap_or_default();
                check_template("sink.nats.subject_template", &nats.subject_template)?;
                if nats.stream.is_some() && nats.mode != super::NatsMode::Jetstream {
                    return Err(invalid(
                        "sink.nats.stream",
                        "stream creation needs JetStream",
                        "set `mode: jetstream` or remove `stream`",
                    ));
                }
            }
            SinkKind::Kafka => super::kafka::validate(sink.kafka.as_ref())?,
            _ => {}
        }
        Ok(())
    }
}

/// The `hpc_pack` section belongs to profile `hpc_pack`, which needs it, jobs, distinct hubs
/// and the classic dialect (HPC Pack 2016 speaks only that).
fn validate_hpc_pack(
    hub: &super::HubConfig,
    key: &dyn Fn(&str) -> String,
    dynamic: bool,
) -> Result<(), ConfigError> {
    let hpc = match (hub.profile, &hub.hpc_pack) {
        (ProfileKind::HpcPack, Some(hpc)) => hpc,
        (ProfileKind::HpcPack, None) => {
            return Err(invalid(
                key("hpc_pack"),
                "profile `hpc_pack` needs an `hpc_pack` section",
                "add `hpc_pack: { job_ids: [<id>] }`",
            ));
        }
        (_, Some(_)) => {
            return Err(invalid(
                key("hpc_pack"),
                "an `hpc_pack` section needs `profile: hpc_pack`",
                "set `profile: hpc_pack` or remove the section",
            ));
        }
        (_, None) => return Ok(()),
    };
    if hpc.job_ids.is_empty() && !dynamic {
        return Err(invalid(
            key("hpc_pack.job_ids"),
            "no job id given",
            "list at least one job id, or enable `admin.api` or `discovery`",
        ));
    }
    let distinct: HashSet<_> = hpc.hubs.iter().collect();
    if hpc.hubs.is_empty() || distinct.len() != hpc.hubs.len() {
        return Err(invalid(
            key("hpc_pack.hubs"),
            "empty or lists a hub twice",
            "use `[JobEventHub, TaskEventHub]` or one of them",
        ));
    }
    if hub.dialect != super::Dialect::Classic {
        return Err(invalid(
            key("dialect"),
            "HPC Pack event hubs speak classic ASP.NET SignalR",
            "set `dialect: classic`",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
