//! The dependency rule of `src/lib.rs`, checked on the source: a module imports only from its
//! own layer and the layers before it; nothing below the terminal view draws, and nothing
//! below the teaching side uses the web stack.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers in pipeline order, as `src/lib.rs` lists them.
const LAYERS: &[&str] = &[
    "base", "capture", "wire", "flow", "tls", "pop3", "mail", "session", "pipeline", "view", "output",
    "teach", "tui", "cli",
];

/// Crates only some layers may use, and the first of those layers: drawing on a terminal is
/// the terminal view's; the web stack is the classroom's (the analysis never sees tokio).
const RESERVED: &[(&str, &str)] = &[
    ("ratatui", "tui"),
    ("crossterm", "tui"),
    ("axum", "teach"),
    ("tokio", "teach"),
    ("tokio_stream", "teach"),
    ("qrcode", "teach"),
];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|&l| l == layer)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The layer a file belongs to: the folder (or file) under `src/` it sits in.
fn layer_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    Some(name.trim_end_matches(".rs").to_string())
}

/// Every `crate::LAYER` named in the code of `text` (comments left out), with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((number + 1, name));
            } else if let Some(group) = after.strip_prefix('{') {
                // `use crate::{a::X, b};`: the first name of each item of the group (one line).
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let name = item.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() {
                        found.push((number + 1, name.to_string()));
                    }
                }
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_import_goes_down_the_pipeline_or_stays_in_its_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let Some(layer) = layer_of(&src, file) else {
            continue;
        };
        if layer == "lib" || layer == "main" {
            continue;
        }
        let own = rank(&layer).unwrap_or_else(|| panic!("{} is in no layer of src/lib.rs", file.display()));
        let text = fs::read_to_string(file).expect("a source file");
        for (line, imported) in crate_paths(&text) {
            match rank(&imported) {
                Some(theirs) if theirs <= own => {}
                Some(_) => broken.push(format!(
                    "{}:{line}: the {layer} layer imports the {imported} layer, which comes after it",
                    file.display()
                )),
                None => broken.push(format!(
                    "{}:{line}: crate::{imported} is no layer of src/lib.rs",
                    file.display()
                )),
            }
        }
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (krate, first) in RESERVED {
                let named = code.match_indices(&format!("{krate}::")).any(|(at, _)| {
                    // A whole name: not the end of a longer one (`my_tokio::`).
                    code[..at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_alphanumeric() && c != '_')
                });
                if named && own < rank(first).unwrap() {
                    broken.push(format!(
                        "{}:{}: the {layer} layer uses {krate}: only {first} and the layers after it may",
                        file.display(),
                        number + 1
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "the dependency rule is broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_rule_sees_an_import_against_it() {
    let paths =
        crate_paths("use crate::tui::App; // crate::cli in a comment\nlet x = crate::base::escape(b\"\");");
    assert_eq!(paths, vec![(1, "tui".to_string()), (2, "base".to_string())]);
}

#[test]
fn lib_rs_lists_the_layers_in_this_order() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert_eq!(declared, LAYERS);
}
