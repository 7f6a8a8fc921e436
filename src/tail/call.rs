//! `--subscribe` values: `Method(arg, ...)`, or `Hub.Method(arg, ...)` for a classic hub, with
//! JSON arguments, parsed into the config's subscription. Pure.

use serde_json::Value;

use crate::config::SubscriptionConfig;

/// A `--subscribe` value that is not a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("`{0}`: write `Method(arg, ...)`, or `Hub.Method(arg, ...)` for a classic hub")]
    Name(String),
    #[error("`{0}`: the arguments need a closing `)` at the end")]
    Parenthesis(String),
    #[error("`{call}`: the arguments must be JSON values separated by commas ({reason})")]
    Arguments { call: String, reason: String },
}

/// Whether `name` can be a hub or method name (letters, digits, `_`; not starting with a digit).
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Parses one `--subscribe` value.
pub fn parse_call(text: &str) -> Result<SubscriptionConfig, CallError> {
    let call = text.trim();
    let (name, inner) = match call.find('(') {
        None => (call, ""),
        Some(open) => match call[open + 1..].strip_suffix(')') {
            Some(inner) => (&call[..open], inner),
            None => return Err(CallError::Parenthesis(call.to_owned())),
        },
    };
    let name = name.trim();
    let (hub, method) = match name.split_once('.') {
        Some((hub, method)) => (Some(hub), method),
        None => (None, name),
    };
    if !is_name(method) || hub.is_some_and(|h| !is_name(h)) {
        return Err(CallError::Name(call.to_owned()));
    }
    let arguments = if inner.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_str::<Vec<Value>>(&format!("[{inner}]"))
            .map_err(|e| CallError::Arguments { call: call.to_owned(), reason: e.to_string() })?
    };
    Ok(SubscriptionConfig { hub: hub.map(str::to_owned), method: method.to_owned(), arguments })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parse_call_method_with_json_arguments() {
        let call = parse_call(r#" SubscribeToEventV2(42, null, "a,b") "#).unwrap();
        assert_eq!(call.hub, None);
        assert_eq!(call.method, "SubscribeToEventV2");
        assert_eq!(call.arguments, vec![json!(42), json!(null), json!("a,b")]);
    }

    #[test]
    fn parse_call_classic_hub_prefix() {
        let call = parse_call("JobEventHub.BeginListen(17)").unwrap();
        assert_eq!(call.hub.as_deref(), Some("JobEventHub"));
        assert_eq!(call.method, "BeginListen");
        assert_eq!(call.arguments, vec![json!(17)]);
    }

    #[test]
    fn parse_call_without_arguments() {
        assert!(parse_call("Join").unwrap().arguments.is_empty());
        assert!(parse_call("Join()").unwrap().arguments.is_empty());
        assert_eq!(parse_call("Join([1], {\"a\": 2})").unwrap().arguments.len(), 2);
    }

    #[test]
    fn parse_call_refuses_what_is_not_a_call() {
        assert!(matches!(parse_call("Join(1"), Err(CallError::Parenthesis(_))));
        assert!(matches!(parse_call("(1)"), Err(CallError::Name(_))));
        assert!(matches!(parse_call("a.b.c(1)"), Err(CallError::Name(_))));
        assert!(matches!(parse_call("9lives"), Err(CallError::Name(_))));
        assert!(matches!(parse_call(".Join"), Err(CallError::Name(_))));
        let err = parse_call("Join(forty-two)").unwrap_err();
        assert!(matches!(err, CallError::Arguments { .. }), "{err:?}");
        assert!(err.to_string().contains("Join(forty-two)"), "{err}");
    }
}
