//! The configuration reference, `docs/configuration.md`, is generated from the `///` doc comments
//! and serde attributes of the config types in `src/config/*.rs` and the protocol crate's
//! `HubProtocol` (parsed with `syn`), so the user docs and the code cannot drift: this test fails
//! when the committed file differs from what the code says. Regenerate it (after any config change or merge) with
//!
//!     UPDATE_CONFIG_REFERENCE=1 cargo test --test config_reference
//!
//! The walk starts at `Config` and follows field types: a struct becomes a section, `Vec<S>` a
//! list section (`hubs[]`), an enum the list of its values, anything else a leaf.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use quote::ToTokens;
use syn::{Attribute, Expr, Fields, GenericArgument, Item, Lit, PathArguments, Type};

const REGENERATE: &str = "UPDATE_CONFIG_REFERENCE=1 cargo test --test config_reference";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Field {
    name: String,
    doc: String,
    ty: Type,
    /// `None`: required; `Some(None)`: `#[serde(default)]`; `Some(Some(f))`: `default = "f"`.
    default: Option<Option<String>>,
}

struct Variant {
    ident: String,
    name: String,
    doc: String,
    is_default: bool,
}

#[derive(Default)]
struct Model {
    structs: BTreeMap<String, (String, Vec<Field>)>,
    enums: BTreeMap<String, (String, Vec<Variant>)>,
    fns: BTreeMap<String, syn::Block>,
}

fn doc(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.value().trim().into()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join(" ").trim().to_string()
}

/// The `key = "value"` pairs and bare words of `#[serde(...)]`.
fn serde_args(attrs: &[Attribute]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta.path.to_token_stream().to_string();
            let value = match meta.value() {
                Ok(v) => Some(v.parse::<syn::LitStr>()?.value()),
                Err(_) => None,
            };
            out.push((key, value));
            Ok(())
        });
    }
    out
}

fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn load() -> Model {
    let mut model = Model::default();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("src/config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| !p.file_stem().unwrap().to_string_lossy().ends_with("_tests"))
        .collect();
    paths.sort();
    // Config types the protocol crate owns (`config` re-exports them).
    paths.push(root().join("crates/signalr-proto/src/core/protocol.rs"));
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for item in file.items {
            match item {
                Item::Struct(s) => {
                    let Fields::Named(named) = &s.fields else { continue };
                    let fields = named
                        .named
                        .iter()
                        .map(|f| {
                            let args = serde_args(&f.attrs);
                            let rename = args.iter().find(|(k, _)| k == "rename");
                            let name = match rename {
                                Some((_, Some(n))) => n.clone(),
                                _ => f.ident.as_ref().unwrap().to_string(),
                            };
                            let default =
                                args.iter().find(|(k, _)| k == "default").map(|(_, v)| v.clone());
                            Field { name, doc: doc(&f.attrs), ty: f.ty.clone(), default }
                        })
                        .collect();
                    model.structs.insert(s.ident.to_string(), (doc(&s.attrs), fields));
                }
                Item::Enum(e) => {
                    let snake = serde_args(&e.attrs)
                        .iter()
                        .any(|(k, v)| k == "rename_all" && v.as_deref() == Some("snake_case"));
                    let variants = e
                        .variants
                        .iter()
                        .map(|v| {
                            let ident = v.ident.to_string();
                            let rename = serde_args(&v.attrs)
                                .into_iter()
                                .find(|(k, _)| k == "rename")
                                .and_then(|(_, v)| v);
                            let name = rename.unwrap_or(if snake {
                                snake_case(&ident)
                            } else {
                                ident.clone()
                            });
                            let is_default = v.attrs.iter().any(|a| a.path().is_ident("default"));
                            Variant { ident, name, doc: doc(&v.attrs), is_default }
                        })
                        .collect();
                    model.enums.insert(e.ident.to_string(), (doc(&e.attrs), variants));
                }
                Item::Fn(f) => {
                    model.fns.insert(f.sig.ident.to_string(), *f.block);
                }
                _ => {}
            }
        }
    }
    model
}

/// `Option<T>` -> ("Option", T): the outer type's last segment and its first type argument.
fn outer(ty: &Type) -> Option<(String, Vec<Type>)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let args = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((seg.ident.to_string(), args))
}

/// What a user writes for a leaf type.
fn leaf_name(model: &Model, ty: &Type) -> String {
    let Some((name, args)) = outer(ty) else { return ty.to_token_stream().to_string() };
    match name.as_str() {
        "String" => "string".into(),
        "Secret" => "string (secret: prints as `<redacted>`)".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "integer".into(),
        "f32" | "f64" => "number".into(),
        "bool" => "boolean".into(),
        "SocketAddr" => "`host:port`".into(),
        "PathBuf" => "path".into(),
        "Url" => "URL".into(),
        "Value" => "any JSON/YAML value".into(),
        "Option" => leaf_name(model, &args[0]),
        "Vec" => format!("list of {}", leaf_name(model, &args[0])),
        "BTreeMap" | "HashMap" => format!("map of {}", leaf_name(model, &args[1])),
        other if model.enums.contains_key(other) => {
            let (_, variants) = &model.enums[other];
            let values: Vec<String> = variants.iter().map(|v| format!("`{}`", v.name)).collect();
            format!("one of {}", values.join(", "))
        }
        other => other.into(),
    }
}

/// A default function's value as the user would write it.
fn render_default(model: &Model, block: &syn::Block) -> String {
    let tokens = block.to_token_stream().to_string();
    let mut literals = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    for c in tokens.chars() {
        match c {
            '"' if in_string => {
                literals.push(std::mem::take(&mut current));
                in_string = false;
            }
            '"' => in_string = true,
            _ if in_string => current.push(c),
            _ => {}
        }
    }
    if let [only] = literals.as_slice() {
        return format!("`{only}`");
    }
    let inner = tokens.trim().trim_start_matches('{').trim_end_matches('}').trim().to_string();
    // SocketAddr::from(([127, 0, 0, 1], 9464)) -> 127.0.0.1:9464
    if inner.starts_with("SocketAddr :: from") {
        let numbers: Vec<&str> =
            inner.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).collect();
        if numbers.len() == 5 {
            return format!("`{}:{}`", numbers[..4].join("."), numbers[4]);
        }
    }
    // Enum paths become their config names; vec![..] a list; 30_000 a plain number.
    let mut text = inner.replace(' ', "").replace("vec!", "");
    for (name, (_, variants)) in &model.enums {
        for variant in variants {
            text = text.replace(&format!("{name}::{}", variant.ident), &variant.name);
        }
    }
    let digits: Vec<char> = text.chars().collect();
    let text: String = (digits.iter().enumerate())
        .filter(|(i, c)| {
            **c != '_'
                || !(*i > 0 && digits[i - 1].is_ascii_digit())
                || !digits.get(i + 1).is_some_and(char::is_ascii_digit)
        })
        .map(|(_, c)| *c)
        .collect();
    format!("`{text}`")
}

fn default_text(model: &Model, field: &Field) -> String {
    let Some(default) = &field.default else { return "required".into() };
    if let Some(function) = default {
        let block = model.fns.get(function).unwrap_or_else(|| panic!("no fn {function}"));
        return render_default(model, block);
    }
    let Some((name, _)) = outer(&field.ty) else { return String::new() };
    match name.as_str() {
        "Option" => "unset".into(),
        "bool" => "`false`".into(),
        "Vec" => "`[]`".into(),
        "BTreeMap" | "HashMap" => "`{}`".into(),
        "String" => "`\"\"`".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "`0`".into(),
        other if model.enums.contains_key(other) => {
            let (_, variants) = &model.enums[other];
            match variants.iter().find(|v| v.is_default) {
                Some(v) => format!("`{}`", v.name),
                None => String::new(),
            }
        }
        other if model.structs.contains_key(other) => "see below".into(),
        _ => String::new(),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The struct a field opens as a section, and whether it is a list of them.
fn section_of(model: &Model, ty: &Type) -> Option<(String, bool)> {
    let (name, args) = outer(ty)?;
    match name.as_str() {
        "Option" => section_of(model, &args[0]),
        "Vec" => section_of(model, &args[0]).map(|(s, _)| (s, true)),
        _ if model.structs.contains_key(&name) => Some((name, false)),
        _ => None,
    }
}

fn write_section(model: &Model, out: &mut String, key: &str, ty_name: &str, intro: &str) {
    let (struct_doc, fields) = &model.structs[ty_name];
    let title = if key.is_empty() { "Top level".to_string() } else { format!("`{key}`") };
    writeln!(out, "## {title}\n").unwrap();
    let text = if intro.is_empty() { struct_doc.as_str() } else { intro };
    if !text.is_empty() {
        writeln!(out, "{text}\n").unwrap();
    }
    writeln!(out, "| key | type | default | description |\n|---|---|---|---|").unwrap();
    let mut nested = Vec::new();
    for field in fields {
        let full =
            if key.is_empty() { field.name.clone() } else { format!("{key}.{}", field.name) };
        let (kind, child) = match section_of(model, &field.ty) {
            Some((s, true)) => {
                (format!("list of sections (`{full}[]`)"), Some((format!("{full}[]"), s)))
            }
            Some((s, false)) => (format!("section (`{full}`)"), Some((full.clone(), s))),
            None => (leaf_name(model, &field.ty), None),
        };
        let mut description = field.doc.clone();
        if let Some((_, variants)) = outer(&field.ty)
            .and_then(|(n, a)| if n == "Option" { outer(&a[0]) } else { Some((n, a)) })
            .and_then(|(n, _)| model.enums.get(&n))
        {
            let documented: Vec<String> = variants
                .iter()
                .filter(|v| !v.doc.is_empty())
                .map(|v| format!("`{}`: {}", v.name, v.doc))
                .collect();
            if !documented.is_empty() {
                description = format!("{description} {}", documented.join(" "));
            }
        }
        writeln!(
            out,
            "| `{full}` | {} | {} | {} |",
            cell(&kind),
            cell(&default_text(model, field)),
            cell(description.trim())
        )
        .unwrap();
        if let Some((child_key, s)) = child {
            nested.push((child_key, s, field.doc.clone()));
        }
    }
    writeln!(out).unwrap();
    for (child_key, s, _) in nested {
        write_section(model, out, &child_key, &s, "");
    }
}

fn generate() -> String {
    let model = load();
    let mut out = String::new();
    writeln!(
        out,
        "# Configuration reference\n\n\
         Generated from the doc comments of `src/config/` by `tests/config_reference.rs`; do not \
         edit by hand. Regenerate with\n\n```sh\n{REGENERATE}\n```\n\n\
         Layers, later wins: compiled defaults, the file given with `--config` (YAML, TOML or \
         JSON), then environment variables `SIGNALR_BRIDGE__<SECTION>__<KEY>` (for example \
         `SIGNALR_BRIDGE__SINK__KAFKA__SASL__PASSWORD`). Unknown keys are errors. Secrets print \
         as `<redacted>`; prefer the `*_file` keys, read again on every connect. Every number \
         has a range (sizes that fit in memory, durations up to a day or a year, Kafka values \
         within librdkafka's own limits; `src/config/limits.rs`): a value outside it is refused \
         at load, naming the key. Check a file with `signalr-bridge check-config --config FILE` \
         (exit 78 on a refusal).\n"
    )
    .unwrap();
    write_section(&model, &mut out, "", "Config", "");
    out.trim_end().to_string() + "\n"
}

#[test]
fn configuration_reference_is_up_to_date() {
    let path = root().join("docs/configuration.md");
    let fresh = generate();
    if std::env::var_os("UPDATE_CONFIG_REFERENCE").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/configuration.md is out of date with src/config/: regenerate it with\n  {REGENERATE}"
    );
}

/// The structs a config file can reach from `Config`.
fn reachable(model: &Model, from: &str, out: &mut Vec<String>) {
    if out.iter().any(|s| s == from) {
        return;
    }
    out.push(from.to_string());
    for field in &model.structs[from].1 {
        if let Some((child, _)) = section_of(model, &field.ty) {
            reachable(model, &child, out);
        }
    }
}

#[test]
fn every_config_key_has_a_doc_comment() {
    let model = load();
    let mut structs = Vec::new();
    reachable(&model, "Config", &mut structs);
    let missing: Vec<String> = (structs.iter())
        .flat_map(|s| {
            let fields = &model.structs[s].1;
            fields.iter().filter(|f| f.doc.is_empty()).map(move |f| format!("{s}.{}", f.name))
        })
        .collect();
    assert!(missing.is_empty(), "config fields without a /// doc comment: {missing:?}");
}

#[test]
fn reference_names_the_keys_the_example_configs_use() {
    let reference = generate();
    for key in ["hubs[].auth.password_file", "sink.kafka.sasl.password_file", "admin.listen"] {
        assert!(reference.contains(&format!("`{key}`")), "{key} is not in the reference");
    }
}
