//! The shape of `src/`, checked: modules depend on each other one way only, no layer imports one
//! it must not (`FORBIDDEN`: the load tester and the workload never import the simulator's
//! model), and no file is too long to read.
//!
//! A cycle between sibling modules (`a` uses `b` and `b` uses `a`) means neither can be read,
//! tested or replaced alone; a file of more than `MAX_CODE_LINES` lines of code holds more than
//! one idea, and a function of more than `MAX_FUNCTION_LINES` lines more than one step. A parent and its own child modules may refer to each other (the child uses the
//! parent's types through `super`), as Rust intends.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_CODE_LINES: usize = 800;

/// The most lines a function outside tests may span, from its `fn` to its closing brace.
const MAX_FUNCTION_LINES: usize = 120;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// A file's module path: `src/report/charts/mod.rs` is `["report", "charts"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .strip_prefix(src)
        .unwrap()
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without its `#[cfg(test)]` module and comments.
fn code(text: &str) -> Vec<&str> {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect()
}

/// Every path a use tree names: `super::{a, b::{c, d}}` gives `super::a`, `super::b::c`,
/// `super::b::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    // Split `inner` at its top-level commas.
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// The paths a file names: those of its `use` statements, and `crate::`/`super::` paths in code.
fn paths(text: &str) -> Vec<String> {
    let code = code(text).join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let statement = &rest[at + 4..];
        let end = statement.find(';').unwrap_or(statement.len());
        if before.is_none_or(|c| c.is_whitespace()) {
            found.extend(expand(&statement[..end].replace('\n', " ")));
        }
        rest = &statement[end..];
    }
    for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
        if word.starts_with("crate::") || word.starts_with("super::") {
            found.push(word.to_string());
        }
    }
    found
}

/// The module paths a file in `module` refers to, from the crate root.
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for path in paths(text) {
        let mut segments = path
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .peekable();
        let mut absolute: Vec<String> = match segments.peek().copied() {
            Some("crate") => {
                segments.next();
                Vec::new()
            }
            Some("super") => {
                let mut base = module.to_vec();
                while segments.peek() == Some(&"super") {
                    segments.next();
                    base.pop();
                }
                base
            }
            Some("self") => {
                segments.next();
                module.to_vec()
            }
            _ => continue,
        };
        absolute.extend(segments.map(String::from));
        found.push(absolute);
    }
    found
}

/// Cycles among the children of each module, as "a -> b -> a" strings.
fn sibling_cycles(edges: &BTreeSet<(Vec<String>, Vec<String>)>) -> Vec<String> {
    // For each parent, the edges between its children (by their first differing segment).
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to) in edges {
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        let (Some(a), Some(b)) = (from.get(common), to.get(common)) else {
            continue; // one is the other's ancestor
        };
        graphs
            .entry(from[..common].to_vec())
            .or_default()
            .entry(a.clone())
            .or_default()
            .insert(b.clone());
    }
    let mut cycles = Vec::new();
    for (parent, graph) in &graphs {
        for (start, nexts) in graph {
            // A path back to `start`, by depth-first search.
            let mut stack: Vec<(String, Vec<String>)> = nexts
                .iter()
                .map(|n| (n.clone(), vec![start.clone(), n.clone()]))
                .collect();
            let mut seen = BTreeSet::new();
            while let Some((node, path)) = stack.pop() {
                if node == *start {
                    // Each cycle once: reported from its smallest module.
                    if path.iter().all(|m| m >= start) {
                        cycles.push(format!("in `{}`: {}", parent.join("::"), path.join(" -> ")));
                    }
                    break;
                }
                if !seen.insert(node.clone()) {
                    continue;
                }
                for next in graph.get(&node).into_iter().flatten() {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    cycles.sort();
    cycles.dedup();
    cycles
}

#[test]
fn sibling_modules_depend_on_each_other_one_way_only() {
    let edges = module_edges();
    let cycles = sibling_cycles(&edges);
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// Imports that would undo the layering: (importer, imported, why not). A module is forbidden
/// its target's whole subtree.
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "load",
        "model",
        "the load tester plays the workload against a real site; the caches are the simulator's",
    ),
    (
        "workload",
        "model",
        "the workload is what both drivers share, so it depends on neither",
    ),
    (
        "workload",
        "load",
        "the workload is what both drivers share, so it depends on neither",
    ),
    ("engine", "model", "the event core knows nothing of caches"),
    (
        "engine",
        "workload",
        "the event core knows nothing of users or edits",
    ),
    (
        "engine",
        "load",
        "the event core knows nothing of a real site",
    ),
];

/// Every (importer, imported) edge between the library's modules, from the crate root.
fn module_edges() -> BTreeSet<(Vec<String>, Vec<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges = BTreeSet::new();
    for file in &files {
        if file.ends_with("main.rs") {
            continue; // the binary, not a module of the library
        }
        let module = module_of(&src, file);
        let text = fs::read_to_string(file).unwrap();
        for mut target in references(&module, &text) {
            // The longest prefix that is a module: `crate::report::diff::Verdict` is `report::diff`.
            while !target.is_empty() && !modules.contains(&target) {
                target.pop();
            }
            if !target.is_empty() && target != module {
                edges.insert((module.clone(), target));
            }
        }
    }
    edges
}

/// The edges that break a rule of `forbidden`, as "a::b imports c::d (why)" strings.
fn forbidden_imports(
    edges: &BTreeSet<(Vec<String>, Vec<String>)>,
    forbidden: &[(&str, &str, &str)],
) -> Vec<String> {
    let within = |module: &[String], top: &str| {
        let top: Vec<&str> = top.split("::").collect();
        module.len() >= top.len() && module.iter().zip(&top).all(|(a, b)| a == b)
    };
    let mut broken = Vec::new();
    for (from, to) in edges {
        for (importer, imported, why) in forbidden {
            if within(from, importer) && within(to, imported) {
                broken.push(format!(
                    "{} imports {} ({why})",
                    from.join("::"),
                    to.join("::")
                ));
            }
        }
    }
    broken
}

#[test]
fn layers_import_only_downwards() {
    let broken = forbidden_imports(&module_edges(), FORBIDDEN);
    assert!(
        broken.is_empty(),
        "forbidden imports:\n{}",
        broken.join("\n")
    );
}

#[test]
fn a_forbidden_import_is_found_in_a_submodule_and_a_sibling_name_is_not_taken_for_it() {
    let path = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let edges: BTreeSet<_> = [
        (path("load::editors"), path("model::origin")),
        (path("load::editors"), path("workload::balancer")),
        (path("loader"), path("model")),
        (path("load"), path("models")),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        forbidden_imports(&edges, &[("load", "model", "no")]),
        ["load::editors imports model::origin (no)"]
    );
}

#[test]
fn no_source_file_is_too_long_to_read() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = sources(&src)
        .iter()
        .filter_map(|f| {
            let n = code(&fs::read_to_string(f).unwrap()).len();
            (n > MAX_CODE_LINES).then(|| format!("{} ({n} lines of code)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_CODE_LINES} lines of code, tests and comments aside:\n{}",
        long.join("\n")
    );
}

#[test]
fn use_trees_are_expanded() {
    assert_eq!(
        expand("super::{charts, html::{self, Page}, style as s}"),
        [
            "super::charts",
            "super::html::self",
            "super::html::Page",
            "super::style"
        ]
    );
}

#[test]
fn a_cycle_between_siblings_is_found_and_a_parent_child_pair_is_not() {
    let path = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let edges: BTreeSet<_> = [
        (path("report::figures"), path("report::html")),
        (path("report::html"), path("report::figures")),
        (path("report"), path("report::csv")),
        (path("report::csv"), path("report")),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        sibling_cycles(&edges),
        ["in `report`: figures -> html -> figures"]
    );
}

/// `text` with comments, string literals and character literals blanked out (newlines kept), so
/// that the braces left are the code's own.
fn blank_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                out.push(blank(chars[i]));
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('"' | '#')) && !prev_is_ident(&chars, i) {
            // A raw string: r"…", r#"…"#, …
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            i += 2 + hashes;
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&close) {
                out.push(blank(chars[i]));
                i += 1;
            }
            i += close.len();
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                out.push(blank(chars.get(i).copied().unwrap_or(' ')));
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{7f}'), not a lifetime ('a).
            let end = if next == Some('\\') {
                chars[i + 2..]
                    .iter()
                    .position(|&q| q == '\'')
                    .map(|p| i + 2 + p)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => i = end + 1,
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The functions of `text` (literals blanked) outside `#[cfg(test)]` items, as (name, first line,
/// lines spanned).
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if line.starts_with("#[cfg(test)]") {
            // Skip the item it guards: to its `;`, or to the end of its braces.
            i = item_end(&lines, i + 1) + 1;
            continue;
        }
        let name = line
            .split_whitespace()
            .skip_while(|w| *w != "fn")
            .nth(1)
            .map(|w| w.split(['(', '<']).next().unwrap_or(w).to_string());
        match name {
            Some(name) if !name.is_empty() && line.split_whitespace().any(|w| w == "fn") => {
                let end = item_end(&lines, i);
                found.push((name, i + 1, end + 1 - i));
                i += 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// The line where the item starting at `start` ends: its first `;` before any brace, or the
/// line that closes its first brace.
fn item_end(lines: &[&str], start: usize) -> usize {
    let mut depth = 0usize;
    let mut opened = false;
    for (n, line) in lines.iter().enumerate().skip(start) {
        for c in line.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth = depth.saturating_sub(1),
                ';' if !opened => return n,
                _ => {}
            }
        }
        if opened && depth == 0 {
            return n;
        }
    }
    lines.len().saturating_sub(1)
}

/// Files that are test modules as a whole: declared `#[cfg(test)] mod name;` by their parent.
fn test_only_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut test_only = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let dir = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for pair in lines.windows(2) {
            if pair[0] == "#[cfg(test)]"
                && let Some(name) = pair[1]
                    .strip_prefix("mod ")
                    .and_then(|m| m.strip_suffix(';'))
            {
                test_only.insert(dir.join(format!("{name}.rs")));
                test_only.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    test_only
}

#[test]
fn no_function_outside_tests_is_longer_than_its_bound() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    let test_only = test_only_files(&files);
    let mut long = Vec::new();
    for file in files.iter().filter(|f| !test_only.contains(*f)) {
        let text = blank_literals(&fs::read_to_string(file).unwrap());
        for (name, line, span) in functions(&text) {
            if span > MAX_FUNCTION_LINES {
                long.push(format!("{}:{line} `{name}` ({span} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines outside tests:\n{}",
        long.join("\n")
    );
}

#[test]
fn a_function_is_measured_from_its_fn_to_its_closing_brace_whatever_its_literals_hold() {
    let text = "/// doc\npub fn a() {\n    let s = \"}}\";\n    let c = '{';\n    // }\n}\n\n\
                #[cfg(test)]\nmod tests {\n    fn hidden() {\n    }\n}\n\
                fn b<'a>(x: &'a str) -> &'a str {\n    let r = r#\"{\"#;\n    x\n}\n\
                trait T {\n    fn declared(&self);\n}\n";
    assert_eq!(
        functions(&blank_literals(text)),
        [
            ("a".to_string(), 2, 5),
            ("b".to_string(), 13, 4),
            ("declared".to_string(), 18, 1)
        ]
    );
}
