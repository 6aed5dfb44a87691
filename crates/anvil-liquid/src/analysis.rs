//! What a template reads and uses, from its AST: the global variables (with their static paths),
//! the filters and the partials. Anvil compares the variables with a prompt's declared
//! parameters and follows the partials to find composition references.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use crate::ast::{
    Block, CaseBranch, Condition, Expr, FilteredExpr, Node, Offset, PartialName, Path, PathRoot,
    Segment,
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Global variables read, each with the longest static path it is read through, in order
    /// of first use: `user.name`, `items`. A dynamic segment (`a[i]`) ends the path.
    pub variables: Vec<String>,
    /// Distinct top-level names of `variables`.
    pub roots: Vec<String>,
    /// Filters used, in order of first use.
    pub filters: Vec<String>,
    /// Partials named by `render`/`include` with a literal name, in order of first use.
    pub partials: Vec<String>,
    /// True if an `include` names its partial through a variable (not statically known).
    pub dynamic_partials: bool,
}

struct Walker {
    out: Analysis,
    seen_vars: HashSet<String>,
    seen_roots: HashSet<String>,
    seen_filters: HashSet<String>,
    seen_partials: BTreeSet<String>,
    /// Names assigned so far (in document order) or bound by enclosing loops.
    bound: Vec<Arc<str>>,
}

pub(crate) fn analyze(root: &Block) -> Analysis {
    let mut w = Walker {
        out: Analysis::default(),
        seen_vars: HashSet::new(),
        seen_roots: HashSet::new(),
        seen_filters: HashSet::new(),
        seen_partials: BTreeSet::new(),
        bound: Vec::new(),
    };
    w.block(root);
    w.out
}

impl Walker {
    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|b| b.as_ref() == name)
    }

    fn block(&mut self, b: &Block) {
        for n in &b.nodes {
            self.node(n);
        }
    }

    fn node(&mut self, n: &Node) {
        match n {
            Node::Text(_) | Node::Break | Node::Continue => {}
            Node::Output(fe) => self.filtered(fe),
            Node::Assign { name, value, .. } => {
                self.filtered(value);
                self.bound.push(name.clone());
            }
            Node::Capture { name, body, .. } => {
                self.block(body);
                self.bound.push(name.clone());
            }
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                for (c, b) in branches {
                    self.condition(c);
                    self.block(b);
                }
                if let Some(b) = otherwise {
                    self.block(b);
                }
            }
            Node::Case {
                subject, branches, ..
            } => {
                self.expr(subject);
                for br in branches {
                    match br {
                        CaseBranch::When(vals, b) => {
                            for v in vals {
                                self.expr(v);
                            }
                            self.block(b);
                        }
                        CaseBranch::Else(b) => self.block(b),
                    }
                }
            }
            Node::For(lp) | Node::Tablerow(lp) => {
                self.expr(&lp.collection);
                for e in [&lp.limit, &lp.cols].into_iter().flatten() {
                    self.expr(e);
                }
                if let Some(Offset::Expr(e)) = &lp.offset {
                    self.expr(e);
                }
                let mark = self.bound.len();
                self.bound.push(lp.var.clone());
                self.bound.push(Arc::from("forloop"));
                self.bound.push(Arc::from("tablerowloop"));
                self.block(&lp.body);
                // Loop variables go out of scope; assigns made inside the loop stay.
                let assigned: Vec<Arc<str>> = self.bound.drain(mark..).skip(3).collect();
                self.bound.extend(assigned);
                if let Some(b) = &lp.otherwise {
                    self.block(b);
                }
            }
            Node::Cycle { group, values, .. } => {
                if let Some(g) = group {
                    self.expr(g);
                }
                for v in values {
                    self.expr(v);
                }
            }
            Node::Increment { name, .. } | Node::Decrement { name, .. } => {
                self.bound.push(name.clone());
            }
            Node::IfChanged(b) => self.block(b),
            Node::Partial(call) => {
                match &call.name {
                    PartialName::Literal(s) => {
                        if self.seen_partials.insert(s.to_string()) {
                            self.out.partials.push(s.to_string());
                        }
                    }
                    PartialName::Dynamic(e) => {
                        self.out.dynamic_partials = true;
                        self.expr(e);
                    }
                }
                if let Some((e, _)) = &call.bind {
                    self.expr(e);
                }
                for (_, e) in &call.args {
                    self.expr(e);
                }
            }
        }
    }

    fn filtered(&mut self, fe: &FilteredExpr) {
        self.expr(&fe.expr);
        for f in &fe.filters {
            if self.seen_filters.insert(f.name.to_string()) {
                self.out.filters.push(f.name.to_string());
            }
            for a in &f.args {
                self.expr(a);
            }
            for (_, a) in &f.kwargs {
                self.expr(a);
            }
        }
    }

    fn condition(&mut self, c: &Condition) {
        match c {
            Condition::Test(e) => self.expr(e),
            Condition::Compare(a, _, b) => {
                self.expr(a);
                self.expr(b);
            }
            Condition::And(a, b) | Condition::Or(a, b) => {
                self.condition(a);
                self.condition(b);
            }
            Condition::Not(a) => self.condition(a),
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Literal(_) => {}
            Expr::Range(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            Expr::Path(p) => self.path(p),
        }
    }

    fn path(&mut self, p: &Path) {
        let root = match &p.root {
            PathRoot::Name(n) => n.clone(),
            PathRoot::Computed(e) => {
                // `['a b']` names a variable statically; anything else is dynamic.
                self.expr(e);
                match e.as_ref() {
                    Expr::Literal(crate::Value::Str(s)) => s.clone(),
                    _ => {
                        self.segments(&p.segments);
                        return;
                    }
                }
            }
        };
        if !self.is_bound(&root) {
            let mut full = root.to_string();
            for s in &p.segments {
                match s {
                    Segment::Key(k) => {
                        full.push('.');
                        full.push_str(k);
                    }
                    Segment::Index(Expr::Literal(crate::Value::Str(k))) => {
                        full.push('.');
                        full.push_str(k);
                    }
                    Segment::Index(_) => break,
                }
            }
            if self.seen_roots.insert(root.to_string()) {
                self.out.roots.push(root.to_string());
            }
            if self.seen_vars.insert(full.clone()) {
                self.out.variables.push(full);
            }
        }
        self.segments(&p.segments);
    }

    fn segments(&mut self, segs: &[Segment]) {
        for s in segs {
            if let Segment::Index(e) = s {
                self.expr(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Engine;

    fn analyze(src: &str) -> super::Analysis {
        match Engine::new().parse(src) {
            Ok(t) => t.analyze(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn finds_globals_but_not_locals() {
        let a = analyze(
            "{{ user.name }}{% assign x = items | size %}{{ x }}\
             {% for i in items %}{{ i.title }}{{ forloop.index }}{{ tax[i] }}{% endfor %}{{ i }}",
        );
        assert_eq!(a.variables, ["user.name", "items", "tax", "i"]);
        assert_eq!(a.roots, ["user", "items", "tax", "i"]);
        assert_eq!(a.filters, ["size"]);
    }

    #[test]
    fn a_variable_read_before_it_is_assigned_is_global() {
        let a = analyze("{{ greeting }}{% assign greeting = 'hi' %}{{ greeting }}");
        assert_eq!(a.variables, ["greeting"]);
    }

    #[test]
    fn finds_partials() {
        let a = analyze("{% render 'header', title: page.title %}{% include 'footer' %}");
        assert_eq!(a.partials, ["header", "footer"]);
        assert_eq!(a.variables, ["page.title"]);
        assert!(!a.dynamic_partials);
    }
}
