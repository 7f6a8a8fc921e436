//! The simulated RedMist `StatusHub` methods: binds a client invocation's raw arguments with the
//! exact arity and type rules of ASP.NET Core and says which group to join or leave. Pure; the
//! connection applies the result and writes the Completion.

use serde_json::value::RawValue;

use super::race::Group;

/// What a successfully bound hub call does to the caller's group memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubCall {
    Join(Group),
    Leave(Group),
    /// Accepted but changes nothing the simulator sends (the legacy V1 in-car group).
    Nothing,
}

/// A parameter's C# type; `Str` covers both `string` and `string?` (nulls bind to either).
#[derive(Debug, Clone, Copy)]
enum Param {
    Int,
    Str,
}

/// Which group family a method joins or leaves.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Event,
    ControlLogs,
    CarControlLogs,
    InCar,
    LegacyInCar,
}

#[derive(Debug, Clone, Copy)]
struct Method {
    name: &'static str,
    params: &'static [Param],
    join: bool,
    kind: Kind,
}

const fn m(name: &'static str, params: &'static [Param], join: bool, kind: Kind) -> Method {
    Method { name, params, join, kind }
}

use Param::{Int, Str};

/// protocols.md §5.2, with the explicit `accessCode` parameters (C# defaults are not applied).
const METHODS: &[Method] = &[
    m("SubscribeToEventV2", &[Int], true, Kind::Event),
    m("SubscribeToEvent", &[Int], true, Kind::Event),
    m("SubscribeToEventV2WithCode", &[Int, Str], true, Kind::Event),
    m("UnsubscribeFromEventV2", &[Int], false, Kind::Event),
    m("UnsubscribeFromEvent", &[Int], false, Kind::Event),
    m("SubscribeToControlLogs", &[Int, Str], true, Kind::ControlLogs),
    m("UnsubscribeFromControlLogs", &[Int], false, Kind::ControlLogs),
    m("SubscribeToCarControlLogs", &[Int, Str, Str], true, Kind::CarControlLogs),
    m("UnsubscribeFromCarControlLogs", &[Int, Str], false, Kind::CarControlLogs),
    m("SubscribeToInCarDriverEvent", &[Int, Str, Str], true, Kind::LegacyInCar),
    m("UnsubscribeFromInCarDriverEvent", &[Int, Str], false, Kind::LegacyInCar),
    m("SubscribeToInCarDriverEventV2", &[Int, Str, Str], true, Kind::InCar),
    m("UnsubscribeFromInCarDriverEventV2", &[Int, Str], false, Kind::InCar),
];

const BINDING_TYPES: &str = "InvalidDataException: Error binding arguments. Make sure that the \
types of the provided values match the types of the hub method being invoked.";

/// Binds `target(arguments)`. `Err` is the exact Completion error text the real server sends.
/// Method names match case-insensitively, as ASP.NET Core's dispatcher does.
pub fn bind(target: &str, arguments: &[&RawValue]) -> Result<HubCall, String> {
    let fail = |detail: &str| {
        format!("Failed to invoke '{target}' due to an error on the server. {detail}")
    };
    let method = METHODS
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(target))
        .ok_or_else(|| fail("HubException: Method does not exist."))?;
    if arguments.len() != method.params.len() {
        return Err(fail(&format!(
            "InvalidDataException: Invocation provides {} argument(s) but target expects {}.",
            arguments.len(),
            method.params.len()
        )));
    }
    let mut event_id = 0i64;
    let mut car = String::new();
    for (i, (param, raw)) in method.params.iter().zip(arguments).enumerate() {
        match param {
            Param::Int => {
                let value: i32 =
                    serde_json::from_str(raw.get()).map_err(|_| fail(BINDING_TYPES))?;
                event_id = i64::from(value);
            }
            Param::Str => {
                let value: Option<String> =
                    serde_json::from_str(raw.get()).map_err(|_| fail(BINDING_TYPES))?;
                // The second parameter is the car where there is one; later ones are codes.
                if i == 1 {
                    car = value.unwrap_or_default();
                }
            }
        }
    }
    Ok(call(method, event_id, car))
}

fn call(method: &Method, event_id: i64, car: String) -> HubCall {
    let group = match method.kind {
        Kind::Event => Group::Event(event_id),
        Kind::ControlLogs => Group::ControlLogs(event_id),
        Kind::CarControlLogs => Group::CarControlLogs(event_id, car),
        Kind::InCar => Group::InCar(event_id, car),
        Kind::LegacyInCar => return HubCall::Nothing,
    };
    if method.join {
        HubCall::Join(group)
    } else {
        HubCall::Leave(group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(json: &str) -> Vec<Box<RawValue>> {
        serde_json::from_str(json).unwrap()
    }

    fn bind_json(target: &str, json: &str) -> Result<HubCall, String> {
        let owned = args(json);
        let refs: Vec<&RawValue> = owned.iter().map(|b| b.as_ref()).collect();
        bind(target, &refs)
    }

    #[test]
    fn bind_subscribe_to_event_v2_joins_event_group() {
        assert_eq!(bind_json("SubscribeToEventV2", "[123]"), Ok(HubCall::Join(Group::Event(123))));
        assert_eq!(bind_json("subscribetoeventv2", "[7]"), Ok(HubCall::Join(Group::Event(7))));
    }

    #[test]
    fn bind_reports_arity_exactly_like_aspnet_core() {
        assert_eq!(
            bind_json("SubscribeToControlLogs", "[123]"),
            Err("Failed to invoke 'SubscribeToControlLogs' due to an error on the server. \
                 InvalidDataException: Invocation provides 1 argument(s) but target expects 2."
                .into())
        );
        assert_eq!(
            bind_json("SubscribeToEventV2", "[]"),
            Err("Failed to invoke 'SubscribeToEventV2' due to an error on the server. \
                 InvalidDataException: Invocation provides 0 argument(s) but target expects 1."
                .into())
        );
    }

    #[test]
    fn bind_reports_unknown_method() {
        assert_eq!(
            bind_json("NoSuchMethod", "[1]"),
            Err("Failed to invoke 'NoSuchMethod' due to an error on the server. \
                 HubException: Method does not exist."
                .into())
        );
    }

    #[test]
    fn bind_rejects_wrong_argument_types() {
        for (target, json) in [
            ("SubscribeToEventV2", "[\"123\"]"),
            ("SubscribeToEventV2", "[1.5]"),
            ("SubscribeToEventV2", "[null]"),
            ("SubscribeToEventV2", "[3000000000]"),
            ("SubscribeToCarControlLogs", "[1, 7, null]"),
        ] {
            let err = bind_json(target, json).unwrap_err();
            assert!(err.ends_with("Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."), "{err}");
        }
    }

    #[test]
    fn bind_maps_car_groups_and_leaves() {
        assert_eq!(
            bind_json("SubscribeToCarControlLogs", "[5,\"7\",null]"),
            Ok(HubCall::Join(Group::CarControlLogs(5, "7".into())))
        );
        assert_eq!(
            bind_json("SubscribeToInCarDriverEventV2", "[5,\"7\",\"code\"]"),
            Ok(HubCall::Join(Group::InCar(5, "7".into())))
        );
        assert_eq!(
            bind_json("UnsubscribeFromInCarDriverEventV2", "[5,\"7\"]"),
            Ok(HubCall::Leave(Group::InCar(5, "7".into())))
        );
        assert_eq!(
            bind_json("SubscribeToControlLogs", "[5,null]"),
            Ok(HubCall::Join(Group::ControlLogs(5)))
        );
        assert_eq!(
            bind_json("SubscribeToInCarDriverEvent", "[5,\"7\",null]"),
            Ok(HubCall::Nothing)
        );
        assert_eq!(bind_json("UnsubscribeFromEvent", "[5]"), Ok(HubCall::Leave(Group::Event(5))));
    }
}
