//! The import rules of berth's layers, checked over the source tree (a test, not run code):
//! imports go one way, web → stack → compose/docker (compose and docker never import web or
//! stack; stack never imports web), and no two files of src/web, src/stack, src/compose and
//! src/docker import each other, directly or through others.
//!
//! Each file is parsed with `syn`; every `use` and every path in code that names a module of
//! the crate (`crate::…`, `super::…`, `self::…`, or a child module by name) becomes an edge to
//! the file that defines the longest matching module. A module's use of its own children does
//! not count (a parent declares, routes to and re-exports them). Test modules (`#[cfg(test)]`)
//! and macro bodies are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The layers, highest first: a layer may import those after it, never those before it.
const AREAS: [&str; 4] = ["web", "stack", "compose", "docker"];

/// Which areas an area must not import.
fn forbidden(from: &str) -> &'static [&'static str] {
    match from {
        "stack" => &["web"],
        "compose" | "docker" => &["web", "stack"],
        _ => &[],
    }
}

type Module = Vec<String>;

/// Every `.rs` file under `src`, by module path (`web/stacks/mod.rs` is `web::stacks`).
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let mut m = prefix.to_vec();
            if path.is_dir() {
                m.push(name);
                walk(&path, &m, out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                if !matches!(stem, "mod" | "lib" | "main") {
                    m.push(stem.to_string());
                }
                out.insert(m, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out
}

/// Collects the paths a file names (each as written, `use` trees expanded).
#[derive(Default)]
struct Paths(Vec<Vec<String>>);

impl Paths {
    fn use_tree(&mut self, prefix: &[String], tree: &syn::UseTree) {
        let mut p = prefix.to_vec();
        match tree {
            syn::UseTree::Path(t) => {
                p.push(t.ident.to_string());
                self.use_tree(&p, &t.tree);
            }
            syn::UseTree::Name(t) => {
                if t.ident != "self" {
                    p.push(t.ident.to_string());
                }
                self.0.push(p);
            }
            syn::UseTree::Rename(t) => {
                p.push(t.ident.to_string());
                self.0.push(p);
            }
            syn::UseTree::Glob(_) => self.0.push(p),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if !is_cfg_test(&u.attrs) {
            self.use_tree(&[], &u.tree);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_cfg_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.0
            .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
}

/// The module a path names, relative to module `here`, if it is one of the crate's.
fn resolve(here: &[String], path: &[String], all: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut abs: Module = here.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            abs.clear();
            rest = &rest[1..];
        }
        Some("super" | "self") => {
            while let Some(s) = rest.first() {
                match s.as_str() {
                    "super" => {
                        abs.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        Some(first) => {
            let mut child = here.to_vec();
            child.push(first.to_string());
            if !all.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    abs.extend(rest.iter().cloned());
    (1..=abs.len())
        .rev()
        .map(|n| abs[..n].to_vec())
        .find(|m| all.contains_key(m))
}

/// File-level edges among the files of the four areas (module → modules it imports).
fn graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let all = modules(src);
    let mut edges = BTreeMap::new();
    for (module, file) in &all {
        if !module.first().is_some_and(|a| AREAS.contains(&a.as_str())) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read a source file");
        let ast = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let mut paths = Paths::default();
        paths.visit_file(&ast);
        let targets: BTreeSet<Module> = paths
            .0
            .iter()
            .filter_map(|p| resolve(module, p, &all))
            .filter(|t| t != module && t.first().is_some_and(|a| AREAS.contains(&a.as_str())))
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The edges between sibling modules: `a::x::y → a::z` counts as `a::x → a::z` (a directory
/// module stands for all its files). A module's use of its own children, or of an item of a
/// parent module, does not count: a parent declares, routes to and re-exports its children.
fn sibling_edges(files: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, targets) in files {
        for to in targets {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue;
            }
            let (a, b) = (from[..=common].to_vec(), to[..=common].to_vec());
            out.entry(b.clone()).or_default();
            out.entry(a).or_default().insert(b);
        }
    }
    out
}

/// Groups of modules that import each other (strongly connected components of more than one).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    // Tarjan's algorithm
    struct T<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a Module) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.edges.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.out.push(group);
                }
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn name(m: &Module) -> String {
    m.join("::")
}

#[test]
fn no_import_cycles_between_files_of_web_stack_compose_docker() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = graph(&src);
    assert!(files.len() > 40, "found only {} files", files.len());
    let found: Vec<String> = cycles(&sibling_edges(&files))
        .iter()
        .map(|g| g.iter().map(name).collect::<Vec<_>>().join(" ⇄ "))
        .collect();
    assert!(
        found.is_empty(),
        "modules that import each other:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn imports_go_from_web_to_stack_to_compose_and_docker() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (from, targets) in graph(&src) {
        for to in targets {
            if forbidden(&from[0]).contains(&to[0].as_str()) {
                wrong.push(format!("{} imports {}", name(&from), name(&to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against web → stack → compose/docker:\n  {}",
        wrong.join("\n  ")
    );
}

mod checks {
    use super::*;

    fn m(s: &str) -> Module {
        s.split("::").map(String::from).collect()
    }

    #[test]
    fn paths_resolve_to_the_file_that_defines_the_module() {
        let all: BTreeMap<Module, PathBuf> =
            ["web", "web::page", "web::stacks", "web::stacks::list"]
                .iter()
                .map(|s| (m(s), PathBuf::new()))
                .collect();
        let here = m("web::stacks::list");
        let r = |p: &str| resolve(&here, &m(p), &all);
        assert_eq!(r("crate::web::page::Layout"), Some(m("web::page")));
        assert_eq!(r("super::super::page::Ctx"), Some(m("web::page")));
        assert_eq!(r("super::Row"), Some(m("web::stacks")));
        assert_eq!(r("std::fmt"), None);
        let parent = m("web::stacks");
        assert_eq!(
            resolve(&parent, &m("list::show"), &all),
            Some(m("web::stacks::list"))
        );
    }

    #[test]
    fn a_file_in_a_directory_module_stands_for_the_directory() {
        let mut files: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        files.insert(m("c::yaml::builder"), [m("c::gofmt")].into());
        files.insert(m("c::gofmt"), [m("c::yaml")].into());
        files.insert(m("c::yaml"), [m("c::yaml::builder")].into());
        files.insert(m("c::merge"), [m("c")].into());
        let sib = sibling_edges(&files);
        assert_eq!(sib[&m("c::yaml")], [m("c::gofmt")].into());
        assert!(!sib.contains_key(&m("c::merge")));
        assert_eq!(cycles(&sib), vec![vec![m("c::gofmt"), m("c::yaml")]]);
    }

    #[test]
    fn a_cycle_through_three_files_is_found() {
        let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        edges.insert(m("a"), [m("b")].into());
        edges.insert(m("b"), [m("c")].into());
        edges.insert(m("c"), [m("a"), m("d")].into());
        edges.insert(m("d"), BTreeSet::new());
        assert_eq!(cycles(&edges), vec![vec![m("a"), m("b"), m("c")]]);
        edges.insert(m("c"), [m("d")].into());
        assert!(cycles(&edges).is_empty());
    }
}
