//! No import cycles in the library: neither between its top-level modules
//! (`crawl -> fetch -> crawl`) nor between the files of one module folder
//! (`extract::article -> extract::generic -> extract::article`). A cycle
//! means neither side can be understood, tested or moved alone.
//!
//! The source is read, not compiled: a small lexer drops comments, strings
//! and `#[cfg(test)]` items, then `use` trees and `crate::`/`super::`/
//! `self::`/child-module paths are resolved to the modules that define them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// More cycles than this are not listed: the first ones show what to move.
const MAX_CYCLES: usize = 50;

#[test]
fn no_cycles_between_top_level_modules() {
    let scan = Scan::of_library();
    let graph = scan.top_level_graph();
    let report = describe(&graph);
    assert!(
        report.is_empty(),
        "import cycles between the library's top-level modules; move what one side \
         needs so the dependency goes one way:\n{report}"
    );
}

#[test]
fn no_cycles_inside_module_folders() {
    let scan = Scan::of_library();
    let mut report = String::new();
    for graph in scan.folder_graphs().values() {
        report.push_str(&describe(graph));
    }
    assert!(
        report.is_empty(),
        "import cycles between the files of a module folder; move what both \
         need into a module of its own:\n{report}"
    );
}

/// The lower floors stand without the upper ones: what the archive stores,
/// the dedup hashes and the config read need nothing of extraction (the
/// record type and the text and clock helpers they share are leaves), and
/// the leaves import nothing of the crate.
#[test]
fn lower_floors_do_not_lean_on_extraction_and_leaves_stand_alone() {
    let graph = Scan::of_library().top_level_graph();
    let mut report = String::new();
    for lower in ["archive", "dedup", "config"] {
        if let Some(site) = graph.get(lower).and_then(|e| e.get("extract")) {
            report.push_str(&format!("{lower} -> extract: {site:?}\n"));
        }
    }
    for leaf in ["clock", "strings", "record"] {
        for (to, site) in graph.get(leaf).into_iter().flatten() {
            report.push_str(&format!("leaf {leaf} -> {to}: {site:?}\n"));
        }
    }
    assert!(report.is_empty(), "{report}");
    // Not passing for want of edges: the lower floors do use the leaves.
    assert!(graph
        .get("archive")
        .is_some_and(|e| e.contains_key("clock")));
    assert!(graph
        .get("dedup")
        .is_some_and(|e| e.contains_key("strings")));
}

/// A child module may use what its parent defines *for it*: the parent's
/// types (the crawler, the context it runs in). A helper function or
/// constant both need goes in a sibling module of its own instead, so the
/// child reads without its parent and the parent stays the straight line
/// of its stage. Sibling imports go through `super::sibling::...` and are
/// checked for cycles by `no_cycles_inside_module_folders`.
#[test]
fn children_use_only_their_parents_types() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut report = String::new();
    let mut checked = 0;
    for folder in std::fs::read_dir(&src).expect("src").flatten() {
        let dir = folder.path();
        if !dir.is_dir() || !dir.join("mod.rs").is_file() {
            continue;
        }
        let siblings: BTreeSet<String> = std::fs::read_dir(&dir)
            .expect("folder")
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                let stem = p.file_stem()?.to_str()?.to_string();
                (p.is_dir() || p.extension().is_some_and(|x| x == "rs")).then_some(stem)
            })
            .collect();
        for file in std::fs::read_dir(&dir).expect("folder").flatten() {
            let path = file.path();
            if path.file_name().is_some_and(|n| n == "mod.rs")
                || path.extension().is_none_or(|x| x != "rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            // The unit tests below `#[cfg(test)]` may use anything.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            checked += 1;
            for (n, line) in code.lines().enumerate() {
                let line = line.split("//").next().unwrap_or_default();
                let mut rest = line;
                while let Some(at) = rest.find("super::") {
                    let after = &rest[at + "super::".len()..];
                    let names: Vec<&str> = match after.strip_prefix('{') {
                        Some(group) => group
                            .split('}')
                            .next()
                            .unwrap_or_default()
                            .split(',')
                            .map(|n| n.trim().split("::").next().unwrap_or_default())
                            .collect(),
                        None => vec![after
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap_or_default()],
                    };
                    for name in names.into_iter().filter(|n| !n.is_empty()) {
                        let is_type = name.starts_with(|c: char| c.is_ascii_uppercase());
                        if !is_type && !siblings.contains(name) && name != "super" && name != "self"
                        {
                            report.push_str(&format!(
                                "{}:{}: `super::{name}` (a helper of the parent: move it to a sibling module)\n",
                                path.strip_prefix(&src).unwrap_or(&path).display(),
                                n + 1
                            ));
                        }
                    }
                    rest = after;
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} child files seen");
    assert!(report.is_empty(), "{report}");
}

#[test]
fn the_scan_sees_the_library() {
    // A scanner that finds nothing would pass every test above.
    let scan = Scan::of_library();
    let lib = scan
        .files
        .iter()
        .find(|f| f.module.is_empty())
        .expect("src/lib.rs is scanned");
    assert!(
        lib.children.len() >= 5,
        "lib.rs declares {:?}",
        lib.children
    );
    for child in lib.children.values() {
        assert!(
            scan.modules.contains(child),
            "no file found for module {}",
            child.join("::")
        );
    }
    let edges: usize = scan.top_level_graph().values().map(BTreeMap::len).sum();
    assert!(edges >= 5, "only {edges} edges between top-level modules");
    assert!(
        !scan.folder_graphs().is_empty(),
        "no edges inside any module folder"
    );
}

#[test]
fn cycle_finder_finds_a_triangle_and_passes_a_dag() {
    let triangle = graph_of(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    assert_eq!(cycles(&triangle), [["a", "b", "c"]]);
    let two = graph_of(&[("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")]);
    assert_eq!(cycles(&two), [["a", "b"], ["b", "c"]]);
    let dag = graph_of(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
    assert!(cycles(&dag).is_empty());
    let report = describe(&triangle);
    assert!(report.contains("a -> b -> c -> a"), "{report}");
    assert!(report.contains("src/c.rs:1"), "{report}");
}

#[test]
fn folder_cycles_go_through_siblings_and_re_exports_but_not_parents() {
    let files = vec![
        parse(
            "src/x/mod.rs",
            &["x"],
            "mod a;\nmod b;\npub use a::A;\npub struct Thing;\n",
        ),
        parse(
            "src/x/a.rs",
            &["x", "a"],
            "use super::b::f;\nuse super::Thing;\npub struct A;\n",
        ),
        parse(
            "src/x/b.rs",
            &["x", "b"],
            "pub fn f() {}\nfn g() -> super::A { super::A }\n",
        ),
    ];
    let graphs = Scan::of(files).folder_graphs();
    let x = graphs.get("x").expect("edges in x");
    assert_eq!(cycles(x), [["x::a", "x::b"]]);
    let report = describe(x);
    assert!(
        report.contains("x::b -> x::a: src/x/b.rs:2 `super::A`"),
        "{report}"
    );
    // a -> x (Thing) is a child using its parent: no edge.
    assert!(x.get("x::a").is_some_and(|e| !e.contains_key("x")));
}

#[test]
fn scanner_reads_grouped_relative_and_inline_paths_only_in_code() {
    let sample = r##"
mod child;
use crate::{alpha, beta::gamma::{self, Delta as D}};
use super::sibling::thing;
use super::Plain;
use std::fmt;
pub use child::Reexported;
// use crate::in_comment::X;
/* crate::in_block_comment::X /* nested */ crate::still_comment::X */
const S: &str = "crate::in_string::x \" crate::in_escaped::x";
const R: &str = r#"crate::in_raw::x "quoted""#;
fn f<'a>(x: &'a str) -> char {
    let _ = crate::called::f::<u8>(x);
    child::g();
    let _ = '"';
    let _ = self::own::h();
    '\''
}
#[cfg(test)]
mod tests {
    use crate::only_in_tests::X;
}
#[cfg(test)]
fn helper() { crate::test_helper::x(); }
fn after() { super::super::up::h(); }
"##;
    let file = parse("src/top/me.rs", &["top", "me"], sample);
    let found: Vec<(String, usize)> = file
        .imports
        .iter()
        .map(|i| (i.path.join("::"), i.line))
        .collect();
    let expect = [
        ("alpha", 3),
        ("beta::gamma", 3),
        ("beta::gamma::Delta", 3),
        ("top::sibling::thing", 4),
        ("top::Plain", 5),
        ("top::me::child::Reexported", 7),
        ("called::f", 13),
        ("top::me::child::g", 14),
        ("top::me::own::h", 16),
        ("up::h", 25),
    ];
    let expect: Vec<(String, usize)> = expect.iter().map(|(p, l)| (p.to_string(), *l)).collect();
    assert_eq!(found, expect);
    assert_eq!(
        file.reexports.get("Reexported").map(|p| p.join("::")),
        Some("top::me::child::Reexported".to_string())
    );
    assert_eq!(
        file.children.get("child").map(|p| p.join("::")),
        Some("top::me::child".to_string())
    );
}

/// Module path -> module path -> where one import between them is.
type Graph = BTreeMap<String, BTreeMap<String, Site>>;

/// One import that makes an edge, to show where to look.
#[derive(Debug, Clone)]
struct Site {
    file: String,
    line: usize,
    path: String,
}

fn graph_of(edges: &[(&str, &str)]) -> Graph {
    let mut g = Graph::new();
    for (from, to) in edges {
        let site = Site {
            file: format!("src/{from}.rs"),
            line: 1,
            path: format!("crate::{to}"),
        };
        g.entry(from.to_string())
            .or_default()
            .insert(to.to_string(), site);
    }
    g
}

/// The elementary cycles of `g`, each once, starting at its smallest node;
/// shortest first.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    fn walk(g: &Graph, start: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
        let Some(last) = path.last().cloned() else {
            return;
        };
        for next in g.get(&last).into_iter().flat_map(BTreeMap::keys) {
            if found.len() >= MAX_CYCLES {
                return;
            }
            if next == start {
                found.push(path.clone());
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(g, start, path, found);
                path.pop();
            }
        }
    }
    let mut found = Vec::new();
    for start in g.keys() {
        walk(g, start, &mut vec![start.clone()], &mut found);
    }
    found.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    found
}

/// Each cycle as `a -> b -> a`, then one import per edge; empty when none.
fn describe(g: &Graph) -> String {
    let mut out = String::new();
    let found = cycles(g);
    for cycle in &found {
        let mut ring = cycle.clone();
        ring.push(cycle[0].clone());
        out.push_str(&format!("  {}\n", ring.join(" -> ")));
        for pair in ring.windows(2) {
            if let Some(site) = g.get(&pair[0]).and_then(|e| e.get(&pair[1])) {
                out.push_str(&format!(
                    "      {} -> {}: {}:{} `{}`\n",
                    pair[0], pair[1], site.file, site.line, site.path
                ));
            }
        }
    }
    if found.len() >= MAX_CYCLES {
        out.push_str(&format!(
            "  (only the first {MAX_CYCLES} cycles are listed)\n"
        ));
    }
    out
}

/// Every library file with what it imports.
struct Scan {
    files: Vec<File>,
    /// Every module that has a file.
    modules: BTreeSet<Vec<String>>,
    /// Module -> name -> the path it re-exports under that name.
    reexports: HashMap<Vec<String>, HashMap<String, Vec<String>>>,
}

impl Scan {
    fn of_library() -> Scan {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        rs_files(&src, &mut paths);
        paths.sort();
        let mut files = Vec::new();
        for path in paths {
            let rel = path
                .strip_prefix(&src)
                .expect("file under src")
                .to_string_lossy()
                .replace('\\', "/");
            // The binary, not the library.
            if rel == "main.rs" || rel.starts_with("bin/") {
                continue;
            }
            let Some(module) = module_of_file(&rel) else {
                continue;
            };
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let module: Vec<&str> = module.iter().map(String::as_str).collect();
            files.push(parse(&format!("src/{rel}"), &module, &text));
        }
        Scan::of(files)
    }

    fn of(mut files: Vec<File>) -> Scan {
        // Files of modules declared only under #[cfg(test)] are tests.
        let test_only: BTreeSet<Vec<String>> =
            files.iter().flat_map(|f| f.test_children.clone()).collect();
        files.retain(|f| !f.test_only && !test_only.iter().any(|t| f.module.starts_with(t)));
        let modules = files.iter().map(|f| f.module.clone()).collect();
        let reexports = files
            .iter()
            .map(|f| (f.module.clone(), f.reexports.clone()))
            .collect();
        Scan {
            files,
            modules,
            reexports,
        }
    }

    /// The module that defines what `path` names: its longest prefix that
    /// is a module, followed through `pub use` re-exports.
    fn module_of(&self, path: &[String]) -> Vec<String> {
        let mut path = path.to_vec();
        // A few hops at most; the bound stops a re-export loop.
        for _ in 0..8 {
            let n = self.module_prefix(&path);
            let target = path
                .get(n)
                .and_then(|name| self.reexports.get(&path[..n])?.get(name));
            match target {
                Some(t) if !path.starts_with(t) => {
                    let mut next = t.clone();
                    next.extend_from_slice(&path[n + 1..]);
                    path = next;
                }
                _ => break,
            }
        }
        path[..self.module_prefix(&path)].to_vec()
    }

    /// The length of the longest prefix of `path` that is a module.
    fn module_prefix(&self, path: &[String]) -> usize {
        (0..=path.len())
            .rev()
            .find(|&n| self.modules.contains(&path[..n]))
            .unwrap_or(0)
    }

    /// Every (importing module, imported module, site).
    fn edges(&self) -> Vec<(Vec<String>, Vec<String>, Site)> {
        let mut out = Vec::new();
        for f in &self.files {
            for i in &f.imports {
                let site = Site {
                    file: f.file.clone(),
                    line: i.line,
                    path: i.text.clone(),
                };
                out.push((f.module.clone(), self.module_of(&i.path), site));
            }
        }
        out
    }

    /// Between the children of lib.rs; lib.rs itself is not one.
    fn top_level_graph(&self) -> Graph {
        let mut g = Graph::new();
        for (from, to, site) in self.edges() {
            let (Some(a), Some(b)) = (from.first(), to.first()) else {
                continue;
            };
            if a != b {
                g.entry(a.clone())
                    .or_default()
                    .entry(b.clone())
                    .or_insert(site);
            }
        }
        g
    }

    /// Per top-level module folder, between its mod.rs (named after the
    /// folder) and its children. A child using its parent is not an edge:
    /// that is how children reach what mod.rs defines or re-exports.
    fn folder_graphs(&self) -> BTreeMap<String, Graph> {
        let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
        for (from, to, site) in self.edges() {
            let (Some(top), Some(to_top)) = (from.first(), to.first()) else {
                continue;
            };
            if top != to_top {
                continue;
            }
            let node = |m: &[String]| m.iter().take(2).cloned().collect::<Vec<_>>().join("::");
            let (a, b) = (node(&from), node(&to));
            if a == b || (to.len() == 1 && from.len() > 1) {
                continue;
            }
            graphs
                .entry(top.clone())
                .or_default()
                .entry(a)
                .or_default()
                .entry(b)
                .or_insert(site);
        }
        graphs
    }
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `lib.rs` -> [], `a.rs` and `a/mod.rs` -> [a], `a/b.rs` -> [a, b].
fn module_of_file(rel: &str) -> Option<Vec<String>> {
    let stem = rel.strip_suffix(".rs")?;
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] {
        parts.pop();
    }
    Some(parts)
}

/// What one file imports.
#[derive(Debug)]
struct File {
    file: String,
    module: Vec<String>,
    /// `mod name;` and inline `mod name {}` -> the child's module path.
    children: BTreeMap<String, Vec<String>>,
    /// Children declared under `#[cfg(test)]`.
    test_children: Vec<Vec<String>>,
    /// The whole file is `#![cfg(test)]`.
    test_only: bool,
    imports: Vec<Import>,
    /// `pub use` name -> absolute path.
    reexports: HashMap<String, Vec<String>>,
}

/// One path into the crate, made absolute.
#[derive(Debug)]
struct Import {
    path: Vec<String>,
    line: usize,
    /// As written (a grouped use flattened).
    text: String,
}

#[derive(Debug, Clone)]
struct Tok {
    text: String,
    line: usize,
}

fn parse(file: &str, module: &[&str], text: &str) -> File {
    let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
    let mut toks = tokens(&blank_comments_and_strings(text));
    let test_only = is_test_only(&toks);
    let mut test_children = Vec::new();
    strip_test_items(&mut toks, &mut |name| {
        let mut child = module.clone();
        child.push(name.to_string());
        test_children.push(child);
    });
    let mut out = File {
        file: file.to_string(),
        module,
        children: BTreeMap::new(),
        test_children,
        test_only,
        imports: Vec::new(),
        reexports: HashMap::new(),
    };
    let at = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    // Children first: code above a `mod` line may use it.
    for i in 0..toks.len() {
        if at(i) == "mod" && is_ident(at(i + 1)) && matches!(at(i + 2), ";" | "{") {
            let mut child = out.module.clone();
            child.push(at(i + 1).to_string());
            out.children.insert(at(i + 1).to_string(), child);
        }
    }
    let mut i = 0;
    while i < toks.len() {
        let t = at(i);
        if t == "use" {
            let public = is_pub_before(&toks, i);
            let mut leaves = Vec::new();
            let mut j = i + 1;
            use_tree(&toks, &mut j, Vec::new(), &mut leaves);
            for (segs, alias, line) in leaves {
                let Some(path) = absolute(&out, &segs) else {
                    continue;
                };
                if public && segs.last().is_some_and(|s| s != "*") {
                    let name = alias.unwrap_or_else(|| path.last().cloned().unwrap_or_default());
                    out.reexports.insert(name, path.clone());
                }
                let shown = segs.strip_suffix(&["self".to_string()]).unwrap_or(&segs);
                out.imports.push(Import {
                    path,
                    line,
                    text: shown.join("::"),
                });
            }
            // Past the `;` (or wherever the tree ended, if malformed).
            i = j.max(i + 1);
            continue;
        }
        let starts_path = matches!(t, "crate" | "super" | "self") || out.children.contains_key(t);
        let prev = if i == 0 { "" } else { at(i - 1) };
        if starts_path && at(i + 1) == "::" && prev != "::" {
            let line = toks[i].line;
            let mut segs = vec![t.to_string()];
            let mut j = i + 1;
            while at(j) == "::" && is_ident(at(j + 1)) {
                segs.push(at(j + 1).to_string());
                j += 2;
            }
            if let Some(path) = absolute(&out, &segs) {
                out.imports.push(Import {
                    path,
                    line,
                    text: segs.join("::"),
                });
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// `segs` from the crate root, or `None` for another crate's path.
fn absolute(file: &File, segs: &[String]) -> Option<Vec<String>> {
    let first = segs.first()?;
    let mut rest = &segs[1..];
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => file.module.clone(),
        "super" => {
            let mut m = file.module.clone();
            m.pop();
            while rest.first().is_some_and(|s| s == "super") {
                m.pop();
                rest = &rest[1..];
            }
            m
        }
        name => {
            let child = file.children.get(name)?;
            child.clone()
        }
    };
    let rest: Vec<String> = rest
        .iter()
        .filter(|s| s.as_str() != "self" && s.as_str() != "*")
        .cloned()
        .collect();
    base.extend(rest);
    Some(base)
}

/// Parses one use tree from `toks[*i]`, pushing (segments, alias, line) for
/// each leaf; leaves `*i` past the closing `;` or `}`/`,` of its group.
fn use_tree(
    toks: &[Tok],
    i: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>, usize)>,
) {
    let at = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let mut path = prefix;
    let line = toks.get(*i).map_or(0, |t| t.line);
    loop {
        match at(*i) {
            "::" => *i += 1,
            "{" => {
                *i += 1;
                while !matches!(at(*i), "}" | "") {
                    let before = *i;
                    use_tree(toks, i, path.clone(), out);
                    if at(*i) == "," {
                        *i += 1;
                    }
                    if *i == before {
                        // Not a use tree: give up on this group.
                        *i += 1;
                    }
                }
                *i += 1;
                if at(*i) == ";" {
                    *i += 1;
                }
                return;
            }
            "*" => {
                path.push("*".into());
                *i += 1;
                break;
            }
            t if is_ident(t) && t != "as" => {
                path.push(t.to_string());
                *i += 1;
                if at(*i) != "::" {
                    break;
                }
            }
            _ => break,
        }
    }
    let mut alias = None;
    if at(*i) == "as" {
        alias = Some(at(*i + 1).to_string());
        *i += 2;
    }
    if at(*i) == ";" {
        *i += 1;
    }
    if !path.is_empty() {
        out.push((path, alias, line));
    }
}

/// Whether the `use` at `i` is `pub`, `pub(crate)` or the like.
fn is_pub_before(toks: &[Tok], i: usize) -> bool {
    let at = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    match i.checked_sub(1).map(at) {
        Some("pub") => true,
        Some(")") => {
            let open = (0..i - 1).rev().find(|&j| at(j) == "(");
            open.is_some_and(|j| j > 0 && at(j - 1) == "pub")
        }
        _ => false,
    }
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// `#![cfg(test)]`: the whole file is a test.
fn is_test_only(toks: &[Tok]) -> bool {
    toks.windows(8).any(|w| {
        let w: Vec<&str> = w.iter().map(|t| t.text.as_str()).collect();
        w == ["#", "!", "[", "cfg", "(", "test", ")", "]"]
    })
}

/// Removes each `#[cfg(test)]` item (a `mod tests {}`, a helper, a `use`),
/// calling `test_mod` with the name of each `mod name;` it removes.
fn strip_test_items(toks: &mut Vec<Tok>, test_mod: &mut impl FnMut(&str)) {
    const ATTR: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut i = 0;
    while i + ATTR.len() <= toks.len() {
        let is_attr = toks[i..i + ATTR.len()]
            .iter()
            .zip(ATTR)
            .all(|(t, a)| t.text == a);
        if !is_attr {
            i += 1;
            continue;
        }
        let mut j = i + ATTR.len();
        // Further attributes of the same item.
        while toks.get(j).is_some_and(|t| t.text == "#") {
            j = past_group(toks, j + 1);
        }
        let item_start = j;
        let mut depth = 0usize;
        while j < toks.len() {
            match toks[j].text.as_str() {
                "(" | "[" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                "{" if depth == 0 => {
                    j = past_group(toks, j);
                    break;
                }
                ";" if depth == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let item: Vec<&str> = toks[item_start..j.min(toks.len())]
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        let item = item.strip_prefix(&["pub"]).unwrap_or(&item);
        if let ["mod", name, ";"] = item {
            test_mod(name);
        }
        toks.drain(i..j.min(toks.len()));
    }
}

/// The index after the bracketed group opening at `open` (`(`, `[` or `{`).
fn past_group(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// Identifiers (and number literals) whole, `::` as one token, any other
/// character alone; whitespace dropped.
fn tokens(code: &str) -> Vec<Tok> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok {
                text: chars[start..i].iter().collect(),
                line,
            });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Tok {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Tok {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// `src` with comments and string and char literals blanked, newlines kept,
/// so that only code is scanned and line numbers stay right.
fn blank_comments_and_strings(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if let Some((open, hashes)) = raw_string_at(&c, i) {
            for _ in 0..open {
                out.push(' ');
            }
            i += open;
            while i < c.len() {
                let closes = c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#'));
                if closes {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if ch == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() {
                match c[i] {
                    '\\' => {
                        blank(&mut out, c[i]);
                        if let Some(&e) = c.get(i + 1) {
                            blank(&mut out, e);
                        }
                        i += 2;
                    }
                    '"' => {
                        out.push(' ');
                        i += 1;
                        break;
                    }
                    other => {
                        blank(&mut out, other);
                        i += 1;
                    }
                }
            }
        } else if ch == '\'' && next == Some('\\') {
            // An escaped char literal: to its closing quote.
            out.push_str("   ");
            i += 3;
            while i < c.len() && c[i] != '\'' {
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if ch == '\'' && c.get(i + 2) == Some(&'\'') {
            out.push_str("   ");
            i += 3;
        } else {
            // Code, a lifetime or a label.
            out.push(ch);
            i += 1;
        }
    }
    out
}

/// At a raw string (`r"`, `r#"`, `br##"`...): the length of its opening and
/// its number of `#`.
fn raw_string_at(c: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&h| h == '#').count();
    j += hashes;
    (c.get(j) == Some(&'"')).then_some((j + 1 - i, hashes))
}
