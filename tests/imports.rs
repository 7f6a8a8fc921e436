//! Which way imports run inside the bridge crate, checked on its source: every `crate::`,
//! `super::` and `self::` path of non-test code is resolved to the module it names.
//!
//! - Top-level modules form layers (below); a module imports only from layers under its own.
//!   That rules out import cycles between them, and profiles importing the connection layer.
//! - The sinks never import each other: Kafka, NATS (with its JetStream window) and the stream
//!   sink share only what `sink` itself holds.
//!
//! `docs/architecture.md` draws the same picture.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom layer up. Within a layer nothing imports anything.
const LAYERS: &[&[&str]] = &[
    &["event", "progress"],
    &["spool", "subs"],
    &["config"],
    &["telemetry"],
    &["status", "queue", "profile"],
    &["sink", "signalr"],
    &["discovery"],
    &["admin"],
    &["app"],
    &["tail"],
];

/// Sink modules that must not import one another (a group is one sink).
const SINKS: &[&[&str]] = &[&["kafka"], &["nats", "jetstream"], &["stream"]];

/// One reference from a file to a module: the file, and the module path it names.
struct Import {
    file: String,
    target: Vec<String>,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `sink/kafka/mod.rs` is `sink::kafka`, `sink/nats.rs` is
/// `sink::nats`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        relative.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The source without comments and without test code: an item under `#[cfg(test)]` (a module
/// declaration, or a braced block to its closing brace) is left out, and files that hold only
/// tests are left out by the caller.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            while lines.peek().is_some_and(|l| l.trim_start().starts_with("#[")) {
                lines.next();
            }
            let mut depth = 0i32;
            for item in lines.by_ref() {
                depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
                if depth <= 0 && (item.trim_end().ends_with(';') || item.trim_end().ends_with('}'))
                {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A `use` tree written out in full: `crate::{a::X, b::{c, d}}` gives `crate::a::X`,
/// `crate::b::c` and `crate::b::d`.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else { return vec![tree.trim().to_owned()] };
    let mut depth = 0;
    let mut close = tree.len();
    let mut items = Vec::new();
    let mut start = open + 1;
    for (i, c) in tree.char_indices().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            ',' if depth == 1 => {
                items.push(&tree[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&tree[start..close]);
    let prefix = tree[..open].trim();
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .flat_map(|item| expand(&format!("{prefix}{}", item.trim())))
        .collect()
}

/// The source with every `use` statement replaced by its written-out paths, one a line.
fn expanded(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let starts_item = at == 0 || rest[..at].ends_with(['\n', ' ', '(', ')']);
        let Some(end) = rest[at..].find(';').map(|e| at + e) else { break };
        if !starts_item {
            out.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            continue;
        }
        out.push_str(&rest[..at]);
        for path in expand(&rest[at + 4..end]) {
            out.push_str(&path);
            out.push('\n');
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `crate::a::b`, `super::…` and `self::…` path in `text`, resolved from `module`.
fn paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !word(bytes[i]) || (i > 0 && (word(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let end = (i..bytes.len())
            .find(|&j| !(word(bytes[j]) || bytes[j] == b':'))
            .unwrap_or(bytes.len());
        let segments: Vec<&str> = text[i..end].split("::").filter(|s| !s.is_empty()).collect();
        i = end;
        let mut base: Vec<String> = match segments.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") | Some(&"self") => module.to_vec(),
            _ => continue,
        };
        let mut rest = &segments[..];
        if rest.first() == Some(&"crate") {
            rest = &rest[1..];
        }
        while let Some((&first, tail)) = rest.split_first() {
            match first {
                "super" => {
                    base.pop();
                }
                "self" => {}
                _ => break,
            }
            rest = tail;
        }
        base.extend(rest.iter().map(|s| s.to_string()));
        found.push(base);
    }
    found
}

fn imports() -> Vec<Import> {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut all = Vec::new();
    for path in files {
        let relative = path.strip_prefix(&root).unwrap().to_path_buf();
        let name = relative.file_stem().unwrap().to_string_lossy().into_owned();
        if name.ends_with("_tests") || name == "tests" || name == "main" || name == "lib" {
            continue;
        }
        let module = module_of(&relative);
        let text = expanded(&code(&std::fs::read_to_string(&path).unwrap()));
        for target in paths(&module, &text) {
            all.push(Import { file: relative.display().to_string(), target });
        }
    }
    all
}

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("top-level module `{module}` is in no layer of tests/imports.rs"))
}

#[test]
fn top_level_modules_import_only_from_layers_below() {
    let mut upward = BTreeSet::new();
    for Import { file, target } in imports() {
        let from = file.split(['/', '.']).next().unwrap().to_owned();
        let Some(to) = target.first() else { continue };
        if *to == from || !LAYERS.iter().any(|l| l.contains(&to.as_str())) {
            continue; // within the module, or not a module (a crate-root item)
        }
        if layer(to) >= layer(&from) {
            upward.insert(format!("{file} -> {}", target.join("::")));
        }
    }
    assert!(upward.is_empty(), "imports that do not run down the layers:\n{upward:#?}");
}

#[test]
fn the_sinks_never_import_each_other() {
    let group = |name: &str| SINKS.iter().position(|g| g.contains(&name));
    let mut crossing = BTreeSet::new();
    for Import { file, target } in imports() {
        let Some(("sink", inner)) = file.split_once('/') else { continue };
        let from = inner.split(['/', '.']).next().unwrap();
        let to = match target.as_slice() {
            [sink, to, ..] if sink == "sink" => to.as_str(),
            _ => continue,
        };
        if let (Some(a), Some(b)) = (group(from), group(to)) {
            if a != b {
                crossing.insert(format!("{file} -> {}", target.join("::")));
            }
        }
    }
    assert!(crossing.is_empty(), "sinks importing each other:\n{crossing:#?}");
}

#[test]
fn the_checker_reads_paths_as_the_compiler_does() {
    let module: Vec<String> = ["sink", "kafka", "window"].iter().map(|s| s.to_string()).collect();
    let text = "use super::super::nats::Link;\nuse crate::event::{Event, WireId};\nfoo::super_x";
    let found = paths(&module, &expanded(text));
    assert_eq!(found[0], ["sink", "nats", "Link"]);
    assert_eq!(found[1], ["event", "Event"]);
    assert_eq!(found[2], ["event", "WireId"]);
    assert_eq!(found.len(), 3, "{found:?}");
    let grouped = expanded("pub use crate::{app::X, sink::{kafka, nats::Y}};\nfn f() {}");
    assert_eq!(grouped, "pub crate::app::X\ncrate::sink::kafka\ncrate::sink::nats::Y\n\nfn f() {}");
    let tested = code(
        "use a;\n// crate::x\n#[cfg(test)]\nmod t;\nuse b;\n#[cfg(test)]\nimpl X {\n  fn f() {\n  }\n}\nuse c;",
    );
    assert_eq!(tested, "use a;\nuse b;\nuse c;\n");
}
