//! The connector's modules depend on each other in one direction only
//! (`docs/architecture.md`, "Layers"): each module may use the modules of the layers below
//! it, never one of its own layer or above. This test reads every `crate::` path in the
//! source and fails on an import that points up or sideways, which is what a cycle needs.

use std::collections::BTreeMap;
use std::path::Path;

/// The layers, lowest first. A new top-level module must be placed here. `suggest` (a
/// "did you mean" helper) is a leaf: it uses nothing of the crate.
const LAYERS: &[&[&str]] = &[
    &["error", "suggest"],
    &["api"],
    &["config"],
    &["schema"],
    &["extract"],
    &["session"],
    &["provider", "check"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a piece of source names through `crate::`, with the names the
/// crate root re-exports resolved through `root` (`crate::Error` is `error`).
fn imports(source: &str, root: &BTreeMap<String, String>) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a::X, b, c::{..}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ => {}
                }
                if depth == 0 && c != ',' {
                    item.push(c);
                }
            }
            items.push(item);
            items
                .iter()
                .map(|i| first_segment(i.trim()))
                .filter(|s| !s.is_empty())
                .collect()
        } else {
            vec![first_segment(rest)]
        };
        for name in names {
            let module = root.get(&name).cloned().unwrap_or(name);
            found.push(module);
        }
    }
    found
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// `pub use module::{A, B};` lines of `lib.rs`: re-exported name → module.
fn root_exports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let text = lib.replace('\n', " ");
    for stmt in text.split(';') {
        let Some(path) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = path.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = first_segment(name.trim());
            if !name.is_empty() {
                map.insert(name, module.trim().to_string());
            }
        }
    }
    map
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import of a module of the same or a higher layer, as `file: from -> to`.
fn violations(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let root = root_exports(&lib);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).expect("under src");
        let Some(first) = relative.iter().next().and_then(|s| s.to_str()) else {
            continue;
        };
        if first == "lib.rs" {
            continue;
        }
        let module = first.trim_end_matches(".rs");
        let Some(own) = rank(module) else {
            bad.push(format!(
                "{}: module `{module}` is in no layer; add it to LAYERS in tests/layers.rs and to docs/architecture.md",
                relative.display()
            ));
            continue;
        };
        let source = std::fs::read_to_string(&file).expect("source readable");
        for import in imports(&source, &root) {
            if import == module {
                continue;
            }
            match rank(&import) {
                Some(r) if r < own => {}
                _ => bad.push(format!(
                    "{}: `{module}` uses `{import}`, which is not in a lower layer",
                    relative.display()
                )),
            }
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

#[test]
fn modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(
        bad.is_empty(),
        "imports against the layer order {LAYERS:?}:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_sees_grouped_root_and_upward_imports() {
    let root =
        root_exports("pub use session::{Identity, Session};\npub use error::{Error, Result};");
    let source = "//! uses crate::provider in a comment only\n\
                  use crate::{\n    api::{Call, rest},\n    Session,\n};\n\
                  fn f() -> crate::Result<()> { crate::extract::x() }";
    assert_eq!(
        imports(source, &root),
        ["api", "session", "error", "extract"]
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("api")).expect("api folder");
    std::fs::write(dir.path().join("lib.rs"), "pub mod api;\npub mod session;").expect("lib");
    std::fs::write(
        dir.path().join("api/mod.rs"),
        "use crate::session::Session;",
    )
    .expect("api");
    std::fs::write(dir.path().join("session.rs"), "use crate::api::ApiClient;").expect("session");
    std::fs::write(dir.path().join("sync.rs"), "").expect("sync");
    let bad = violations(dir.path());
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].contains("`api` uses `session`"), "{bad:?}");
    assert!(bad[1].contains("module `sync` is in no layer"), "{bad:?}");
}
