//! The values each config enum accepts, for error messages. serde knows them; the config
//! crate's error does not say them ("enum HubProtocol does not have variant constructor
//! msgpack"), so the loader asks serde by deserializing a value no enum has.

use serde::de::DeserializeOwned;

use super::{
    ClientAuth, Dialect, FsyncPolicy, HpcHub, HubProtocol, KafkaCompression, KafkaMode, LogFormat,
    NatsMode, ProfileKind, SaslMechanism, SinkKind, TokenPlacement, WhenFull,
};

/// The accepted values of the config enum named `name` (its Rust name, as the config crate's
/// error gives it), as serde lists them: "one of `json`, `messagepack`".
pub(super) fn values_of(name: &str) -> Option<String> {
    match name {
        "ClientAuth" => expected::<ClientAuth>(),
        "Dialect" => expected::<Dialect>(),
        "FsyncPolicy" => expected::<FsyncPolicy>(),
        "HpcHub" => expected::<HpcHub>(),
        "HubProtocol" => expected::<HubProtocol>(),
        "KafkaCompression" => expected::<KafkaCompression>(),
        "KafkaMode" => expected::<KafkaMode>(),
        "LogFormat" => expected::<LogFormat>(),
        "NatsMode" => expected::<NatsMode>(),
        "ProfileKind" => expected::<ProfileKind>(),
        "SaslMechanism" => expected::<SaslMechanism>(),
        "SinkKind" => expected::<SinkKind>(),
        "TokenPlacement" => expected::<TokenPlacement>(),
        "WhenFull" => expected::<WhenFull>(),
        _ => None,
    }
}

/// What serde says it expected instead of a value no enum has.
fn expected<T: DeserializeOwned>() -> Option<String> {
    let error = serde_json::from_str::<T>(r#""\u0000""#).err()?.to_string();
    let (_, list) = error.split_once("expected ")?;
    Some(list.split(" at line").next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_enum_lists_its_values() {
        assert_eq!(values_of("HubProtocol").unwrap(), "`json` or `messagepack`");
        assert!(values_of("SinkKind").unwrap().starts_with("one of `stdout`"));
        assert_eq!(values_of("Nope"), None);
        // Every enum serde reads from the config files, found in their source: a new one must
        // be added above, or its errors would not list its values.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let Some(name) = line.strip_prefix("pub enum ") else { continue };
                let name = name.trim_end_matches(" {");
                let derives =
                    lines[i.saturating_sub(3)..i].iter().any(|l| l.contains("Deserialize"));
                if derives {
                    assert!(values_of(name).is_some(), "config enum {name} is not listed");
                }
            }
        }
    }
}
