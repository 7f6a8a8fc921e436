//! The `tail` command line, and how it becomes one [`HubConfig`]: picked from a bridge config
//! file, or built from flags and checked by the same rules the bridge applies to its file.
//! Reads the environment variables it is pointed at; opens no connection.

use std::path::PathBuf;

use clap::{ArgGroup, ValueEnum};
use serde_json::{json, Value};

use super::call::{parse_call, CallError};
use crate::config::{Config, ConfigError, HubConfig, EXIT_CONFIG};

/// The exit code for a command line that cannot be used (sysexits `EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;

/// `signalr-bridge tail`: which hub, and what to show.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("source").required(true).args(["config", "url"])))]
pub struct TailArgs {
    #[command(flatten)]
    pub hub: HubArgs,
    #[command(flatten)]
    pub show: ShowArgs,
}

/// Which hub to watch: one from a bridge config, or one described by flags.
#[derive(Debug, clap::Args)]
pub struct HubArgs {
    /// A bridge config file: watch one of its hubs exactly as `run` connects to it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The hub's name: picks it from `--config` (needed when the file has several), or names
    /// the hub built from flags.
    #[arg(long)]
    pub hub: Option<String>,
    /// The hub URL (http, https, ws or wss), instead of `--config`.
    #[arg(long)]
    pub url: Option<url::Url>,
    /// The SignalR dialect [default: classic for --profile hpc-pack, else core].
    #[arg(long, value_enum, conflicts_with = "config")]
    pub dialect: Option<DialectArg>,
    /// What the hub's invocations mean.
    #[arg(long, value_enum, default_value_t = ProfileArg::Generic, conflicts_with = "config")]
    pub profile: ProfileArg,
    /// The hub protocol (core dialect).
    #[arg(long, value_enum, default_value_t = ProtocolArg::Json, conflicts_with = "config")]
    pub protocol: ProtocolArg,
    /// Connect the WebSocket directly, without /negotiate (RedMist needs this).
    #[arg(long, conflicts_with = "config")]
    pub skip_negotiation: bool,
    /// A server method to invoke after every connect: `Method(arg, ...)` with JSON arguments,
    /// `Hub.Method(...)` on a classic hub. Repeatable.
    #[arg(long = "subscribe", value_name = "CALL", conflicts_with = "config")]
    pub subscribe: Vec<String>,
    /// A RedMist event to follow (--profile redmist). Repeatable.
    #[arg(long = "event-id", value_name = "ID", conflicts_with = "config")]
    pub event_ids: Vec<i64>,
    /// An HPC Pack job to follow (--profile hpc-pack). Repeatable.
    #[arg(long = "job-id", value_name = "ID", conflicts_with = "config")]
    pub job_ids: Vec<i64>,
    /// HTTP Basic user name; the password comes from --password-env.
    #[arg(long, requires = "password_env", conflicts_with = "config")]
    pub user: Option<String>,
    /// The environment variable holding the HTTP Basic password (never given on the command
    /// line, where other users could read it).
    #[arg(long, value_name = "VAR", requires = "user", conflicts_with = "config")]
    pub password_env: Option<String>,
    /// The environment variable holding a bearer token.
    #[arg(long, value_name = "VAR", conflicts_with_all = ["config", "token_file", "user"])]
    pub token_env: Option<String>,
    /// A file holding a bearer token, read again for every connect.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["config", "user"])]
    pub token_file: Option<PathBuf>,
}

/// What to show, and how.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Show only events from this hub method (case-insensitive; `*` matches any run of
    /// characters). Repeatable: any may match.
    #[arg(long = "target", value_name = "PATTERN")]
    pub targets: Vec<String>,
    /// Show only events whose CloudEvents subject matches (`*` matches any run of characters,
    /// `/` included). Repeatable: any may match.
    #[arg(long = "subject", value_name = "PATTERN")]
    pub subjects: Vec<String>,
    /// Print each event as its CloudEvents JSON line, as the stdout sink writes it.
    #[arg(long)]
    pub json: bool,
    /// Colour: `auto` when stdout is a terminal and NO_COLOR is not set.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Exit after showing this many events.
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// Also show the bridge's informational logs (warnings and errors always show).
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    Core,
    Classic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    Generic,
    Redmist,
    HpcPack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    Json,
    Messagepack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Why the command line cannot be used; each names what to change.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("--hub `{name}` is not in the config; its hubs: {known}")]
    UnknownHub { name: String, known: String },
    #[error("the config has several hubs ({known}); pick one with --hub")]
    WhichHub { known: String },
    #[error("--{flag} needs --profile {profile}")]
    WrongProfile { flag: &'static str, profile: &'static str },
    #[error("--profile {profile} needs at least one --{flag}")]
    Missing { profile: &'static str, flag: &'static str },
    #[error("--{flag}: the environment variable {var} is not set")]
    Env { flag: &'static str, var: String },
    #[error("--subscribe {0}")]
    Call(#[from] CallError),
    #[error("these flags make no usable hub: {0}")]
    Invalid(String),
}

impl UsageError {
    /// A bad config file exits as `check-config` does; a bad command line with `EX_USAGE`.
    pub fn exit_code(&self) -> u8 {
        match self {
            UsageError::Config(_) => EXIT_CONFIG as u8,
            _ => EXIT_USAGE,
        }
    }
}

impl HubArgs {
    /// The hub to watch, and the config it came from (for its embedded simulators). `env`
    /// reads an environment variable.
    pub fn resolve(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(HubConfig, Option<Config>), UsageError> {
        match (&self.config, &self.url) {
            (Some(path), _) => {
                let config = Config::from_file(path)?;
                Ok((pick(&config, self.hub.as_deref())?, Some(config)))
            }
            (None, Some(url)) => Ok((self.build(url, env)?, None)),
            // clap requires one of the two.
            (None, None) => Err(UsageError::Invalid("give --config or --url".into())),
        }
    }

    /// The hub the flags describe, held to the rules `run` holds a config file to.
    fn build(
        &self,
        url: &url::Url,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<HubConfig, UsageError> {
        let profile = self.profile;
        let ids = [
            ("event-id", "redmist", ProfileArg::Redmist, !self.event_ids.is_empty()),
            ("job-id", "hpc-pack", ProfileArg::HpcPack, !self.job_ids.is_empty()),
        ];
        for (flag, name, wants, given) in ids {
            if given && profile != wants {
                return Err(UsageError::WrongProfile { flag, profile: name });
            }
            if !given && profile == wants {
                return Err(UsageError::Missing { profile: name, flag });
            }
        }
        let subscriptions =
            self.subscribe.iter().map(|s| parse_call(s)).collect::<Result<Vec<_>, _>>()?;
        let dialect = self.dialect.unwrap_or(match profile {
            ProfileArg::HpcPack => DialectArg::Classic,
            _ => DialectArg::Core,
        });
        let mut hub = json!({
            "name": self.hub.as_deref().unwrap_or("tail"),
            "url": url.as_str(),
            "dialect": match dialect { DialectArg::Core => "core", DialectArg::Classic => "classic" },
            "protocol": match self.protocol {
                ProtocolArg::Json => "json",
                ProtocolArg::Messagepack => "messagepack",
            },
            "skip_negotiation": self.skip_negotiation,
            "profile": match profile {
                ProfileArg::Generic => "generic",
                ProfileArg::Redmist => "redmist",
                ProfileArg::HpcPack => "hpc_pack",
            },
            "subscriptions": subscriptions,
            "auth": self.auth(env)?,
        });
        match profile {
            ProfileArg::Redmist => hub["redmist"] = json!({ "event_ids": self.event_ids }),
            ProfileArg::HpcPack => hub["hpc_pack"] = json!({ "job_ids": self.job_ids }),
            ProfileArg::Generic => {}
        }
        let whole = json!({ "hubs": [hub], "sink": { "kind": "stdout" } });
        let mut config: Config =
            serde_json::from_value(whole).map_err(|e| UsageError::Invalid(e.to_string()))?;
        config.validate().map_err(|e| UsageError::Invalid(e.to_string()))?;
        Ok(config.hubs.remove(0))
    }

    /// The `auth` section the flags describe; secrets read from the named variables.
    fn auth(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Value, UsageError> {
        let read = |flag: &'static str, var: &str| {
            env(var).ok_or_else(|| UsageError::Env { flag, var: var.to_owned() })
        };
        let mut auth = json!({});
        if let (Some(user), Some(var)) = (&self.user, &self.password_env) {
            auth["username"] = json!(user);
            auth["password"] = json!(read("password-env", var)?);
        }
        if let Some(var) = &self.token_env {
            auth["bearer_token"] = json!(read("token-env", var)?);
        }
        if let Some(path) = &self.token_file {
            auth["bearer_token_file"] = json!(path);
        }
        Ok(auth)
    }
}

/// The hub named `name`, or the only one.
fn pick(config: &Config, name: Option<&str>) -> Result<HubConfig, UsageError> {
    let known = || config.hubs.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ");
    match name {
        Some(name) => config
            .hubs
            .iter()
            .find(|h| h.name == name)
            .cloned()
            .ok_or_else(|| UsageError::UnknownHub { name: name.to_owned(), known: known() }),
        None if config.hubs.len() == 1 => Ok(config.hubs[0].clone()),
        None => Err(UsageError::WhichHub { known: known() }),
    }
}
