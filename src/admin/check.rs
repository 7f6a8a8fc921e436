//! What a `POST /subscriptions` body asks for, and whether a runtime subscription fits a hub:
//! ids in range, a method name the server could have, a classic hub the connection declared,
//! and a kind the hub's profile follows. Used for API input and for what the state file brings
//! back at start.

use serde::Deserialize;

use crate::config::Dialect;
use crate::signalr::classic::connect::hub_names;
use crate::signalr::Hub;
use crate::subs::Target;

/// Most arguments a runtime method subscription may carry, and their JSON size.
const MAX_ARGUMENTS: usize = 16;
const MAX_ARGUMENT_BYTES: usize = 4096;
const MAX_METHOD_LEN: usize = 128;

/// Why a target does not fit the hub; the text is for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unfit(pub String);

/// `POST /subscriptions`: `hub` plus exactly one of `job_id`, `event_id`, or `method` (with
/// `arguments`, and `classic_hub` on a classic hub).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    pub hub: String,
    job_id: Option<i64>,
    event_id: Option<i64>,
    method: Option<String>,
    arguments: Option<Vec<serde_json::Value>>,
    classic_hub: Option<String>,
}

impl AddBody {
    pub fn target(self) -> Result<Target, Unfit> {
        let method_extras = self.arguments.is_some() || self.classic_hub.is_some();
        match (self.job_id, self.event_id, self.method) {
            (Some(job_id), None, None) if !method_extras => Ok(Target::HpcJob { job_id }),
            (None, Some(event_id), None) if !method_extras => Ok(Target::RedmistEvent { event_id }),
            (None, None, Some(method)) => Ok(Target::Method {
                classic_hub: self.classic_hub,
                method,
                arguments: self.arguments.unwrap_or_default(),
            }),
            _ => Err(Unfit(
                "give exactly one of `job_id`, `event_id` or `method` (`arguments` and \
                 `classic_hub` go with `method` only)"
                    .into(),
            )),
        }
    }
}

/// Checks `target` against `hub`.
pub fn check_target(hub: &Hub, target: &Target) -> Result<(), Unfit> {
    let unfit = |text: String| Err(Unfit(text));
    match target {
        // HPC job ids and RedMist event ids are C# ints on the server.
        Target::HpcJob { job_id: id } | Target::RedmistEvent { event_id: id }
            if !(1..=i64::from(i32::MAX)).contains(id) =>
        {
            return unfit(format!("id {id} is out of range (1 to {})", i32::MAX));
        }
        Target::Method { classic_hub, method, arguments } => {
            check_method(hub, classic_hub.as_deref(), method, arguments)?;
        }
        _ => {}
    }
    hub.spec
        .profile
        .expand(target)
        .map(|_| ())
        .map_err(|e| Unfit(format!("hub `{}`: {e}", hub.spec.name)))
}

fn check_method(
    hub: &Hub,
    classic_hub: Option<&str>,
    method: &str,
    arguments: &[serde_json::Value],
) -> Result<(), Unfit> {
    let name_ok = !method.is_empty()
        && method.len() <= MAX_METHOD_LEN
        && method.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !name_ok {
        return Err(Unfit(format!(
            "`method` must be a server method name (letters, digits, '_', at most {MAX_METHOD_LEN})"
        )));
    }
    let size = serde_json::to_string(arguments).map_or(usize::MAX, |s| s.len());
    if arguments.len() > MAX_ARGUMENTS || size > MAX_ARGUMENT_BYTES {
        return Err(Unfit(format!(
            "at most {MAX_ARGUMENTS} arguments of {MAX_ARGUMENT_BYTES} bytes in all"
        )));
    }
    match (hub.spec.config.dialect, classic_hub) {
        (Dialect::Core, Some(_)) => {
            Err(Unfit("`classic_hub` is for classic hubs; this hub speaks ASP.NET Core".into()))
        }
        (Dialect::Core, None) => Ok(()),
        (Dialect::Classic, None) => Err(Unfit("a classic hub needs `classic_hub`".into())),
        (Dialect::Classic, Some(name)) => {
            let declared = hub_names(hub);
            if declared.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                Ok(())
            } else {
                Err(Unfit(format!(
                    "classic hubs are fixed per connection; `{name}` is not one of {declared:?}"
                )))
            }
        }
    }
}
