//! Rendering: evaluates a parsed template against data, within the engine's limits.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{
    Block, CaseBranch, CompareOp, Condition, Expr, FilteredExpr, ForLoop, Node, Offset,
    PartialCall, PartialName, Path, PathRoot, Segment,
};
use crate::error::{Error, ErrorKind, LimitKind};
use crate::filters::{FilterArgs, FilterContext, FilterError};
use crate::value::{Object, Value};
use crate::{Engine, Partial, PartialSource, Template, UndefinedMode};

/// Whether a `break`/`continue` is travelling up to its loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The state of one running `for` or `tablerow` loop, read through `forloop`/`tablerowloop`.
#[derive(Debug, Clone)]
struct LoopState {
    name: Arc<str>,
    index0: usize,
    length: usize,
    /// Tablerow only: columns per row (`length` when not given).
    cols: Option<usize>,
    /// The loop of `render ... for`: loops inside the partial do not see it as `parentloop`.
    detached: bool,
}

impl LoopState {
    fn get(&self, key: &str) -> Option<Value> {
        let i = self.index0;
        let n = self.length;
        let v = match key {
            "index" => Value::Int(i as i64 + 1),
            "index0" => Value::Int(i as i64),
            "rindex" => Value::Int((n - i) as i64),
            "rindex0" => Value::Int((n - i) as i64 - 1),
            "first" => Value::Bool(i == 0),
            "last" => Value::Bool(i + 1 == n),
            "length" => Value::Int(n as i64),
            "name" if self.cols.is_none() => Value::str(self.name.clone()),
            _ => {
                let cols = self.cols?.max(1);
                match key {
                    "col" => Value::Int((i % cols) as i64 + 1),
                    "col0" => Value::Int((i % cols) as i64),
                    "col_first" => Value::Bool(i.is_multiple_of(cols)),
                    "col_last" => Value::Bool(i % cols == cols - 1 || i + 1 == n),
                    "row" => Value::Int((i / cols) as i64 + 1),
                    _ => return None,
                }
            }
        };
        Some(v)
    }

    fn to_object(&self, parent: Option<Value>) -> Value {
        let mut o = Object::new();
        let keys: &[&str] = if self.cols.is_some() {
            &[
                "col",
                "col0",
                "col_first",
                "col_last",
                "first",
                "index",
                "index0",
                "last",
                "length",
                "rindex",
                "rindex0",
                "row",
            ]
        } else {
            &[
                "first", "index", "index0", "last", "length", "name", "rindex", "rindex0",
            ]
        };
        for k in keys {
            if let Some(v) = self.get(k) {
                o.insert(Arc::from(*k), v);
            }
        }
        if let Some(p) = parent {
            o.insert(Arc::from("parentloop"), p);
        }
        Value::object(o)
    }
}

/// Variables of one render context. `render` partials get a fresh one; `include` shares it.
struct Scope<'g> {
    globals: &'g Object,
    /// `assign` and `capture` targets.
    assigns: HashMap<Arc<str>, Value>,
    /// Loop variables and `include`/`render` arguments, innermost last.
    stack: Vec<(Arc<str>, Value)>,
    /// Running loops, innermost last (`forloop`, `forloop.parentloop`).
    loops: Vec<LoopState>,
    /// `increment`/`decrement` counters.
    counters: HashMap<Arc<str>, i64>,
    cycles: HashMap<String, usize>,
    /// Where `offset: continue` resumes each named loop.
    offsets: HashMap<Arc<str>, usize>,
    ifchanged: Option<String>,
}

impl<'g> Scope<'g> {
    fn new(globals: &'g Object) -> Self {
        Scope {
            globals,
            assigns: HashMap::new(),
            stack: Vec::new(),
            loops: Vec::new(),
            counters: HashMap::new(),
            cycles: HashMap::new(),
            offsets: HashMap::new(),
            ifchanged: None,
        }
    }

    /// `forloop` (innermost for-loop, with its `parentloop` chain) or `tablerowloop` as objects.
    fn forloop_value(&self, name: &str) -> Option<Value> {
        if name == "tablerowloop" {
            return self
                .loops
                .iter()
                .rev()
                .find(|l| l.cols.is_some())
                .map(|l| l.to_object(None));
        }
        let mut v: Option<Value> = None;
        let mut below_detached = false;
        for l in self.loops.iter().filter(|l| l.cols.is_none()) {
            let parent = if below_detached { None } else { v };
            v = Some(l.to_object(parent));
            below_detached = l.detached;
        }
        v
    }

    /// `forloop.index` and friends without building the whole object.
    fn loop_property(&self, name: &str, key: &str) -> Option<Value> {
        let want_tablerow = name == "tablerowloop";
        self.loops
            .iter()
            .rev()
            .find(|l| l.cols.is_some() == want_tablerow)
            .and_then(|l| l.get(key))
    }
}

pub(crate) struct Renderer<'e> {
    engine: &'e Engine,
    partials: &'e dyn PartialSource,
    strict: bool,
    fctx: FilterContext,
    iterations: u64,
    depth: usize,
    parsed_partials: HashMap<String, Arc<Template>>,
    /// The template being rendered, for error positions.
    source: Arc<str>,
    partial_name: Option<String>,
}

type R<T> = Result<T, Error>;

impl<'e> Renderer<'e> {
    pub fn new(
        engine: &'e Engine,
        partials: &'e dyn PartialSource,
        mode: UndefinedMode,
        source: Arc<str>,
        now_unix: i64,
    ) -> Self {
        let limits = &engine.limits;
        Renderer {
            engine,
            partials,
            strict: mode == UndefinedMode::Strict,
            fctx: FilterContext {
                max_items: limits.max_loop_iterations.min(usize::MAX as u64) as usize,
                max_string: limits.max_output_bytes,
                now_unix,
            },
            iterations: 0,
            depth: 0,
            parsed_partials: HashMap::new(),
            source,
            partial_name: None,
        }
    }

    pub fn render_root(&mut self, block: &Block, globals: &Object) -> R<String> {
        let mut scope = Scope::new(globals);
        let mut out = String::new();
        self.render_block(block, &mut scope, &mut out)?;
        Ok(out)
    }

    fn err(&self, kind: ErrorKind, msg: impl Into<String>, pos: usize) -> Error {
        let mut e = Error::at(kind, msg, &self.source, pos);
        e.partial = self.partial_name.clone();
        e
    }

    fn check_output(&self, out: &str) -> R<()> {
        if out.len() > self.engine.limits.max_output_bytes {
            return Err(Error::limit(
                LimitKind::OutputSize,
                format!(
                    "output is larger than {} bytes",
                    self.engine.limits.max_output_bytes
                ),
            ));
        }
        Ok(())
    }

    fn tick(&mut self) -> R<()> {
        self.iterations += 1;
        if self.iterations > self.engine.limits.max_loop_iterations {
            return Err(Error::limit(
                LimitKind::LoopIterations,
                format!(
                    "more than {} loop iterations",
                    self.engine.limits.max_loop_iterations
                ),
            ));
        }
        Ok(())
    }

    fn render_block(&mut self, block: &Block, scope: &mut Scope<'_>, out: &mut String) -> R<Flow> {
        stacker::maybe_grow(
            crate::parser::STACK_RED_ZONE,
            crate::parser::STACK_GROWTH,
            || self.render_nodes(block, scope, out),
        )
    }

    fn render_nodes(&mut self, block: &Block, scope: &mut Scope<'_>, out: &mut String) -> R<Flow> {
        for node in &block.nodes {
            let flow = self.render_node(node, scope, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn render_node(&mut self, node: &Node, scope: &mut Scope<'_>, out: &mut String) -> R<Flow> {
        match node {
            Node::Text(t) => {
                out.push_str(t);
                self.check_output(out)?;
            }
            Node::Output(fe) => {
                if fe.filters.is_empty() {
                    let v = self.eval(&fe.expr, scope, false)?;
                    v.write_to(out);
                } else {
                    let v = self.eval_filtered(fe, scope)?;
                    v.write_to(out);
                }
                self.check_output(out)?;
            }
            Node::Assign { name, value, .. } => {
                let v = self.eval_filtered(value, scope)?;
                scope.assigns.insert(name.clone(), v);
            }
            Node::Capture { name, body, .. } => {
                let mut buf = String::new();
                let flow = self.render_block(body, scope, &mut buf)?;
                scope.assigns.insert(name.clone(), Value::from(buf));
                return Ok(flow);
            }
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                for (cond, body) in branches {
                    if self.eval_condition(cond, scope)? {
                        return self.render_block(body, scope, out);
                    }
                }
                if let Some(body) = otherwise {
                    return self.render_block(body, scope, out);
                }
            }
            Node::Case {
                subject, branches, ..
            } => {
                let subject = self.eval(subject, scope, false)?.into_owned();
                let mut matched = false;
                for branch in branches {
                    match branch {
                        CaseBranch::When(values, body) => {
                            // As in the reference, `when a, b` is one branch per value: the
                            // body renders once for each value that matches.
                            for v in values {
                                if self.eval(v, scope, false)?.liquid_eq(&subject) {
                                    matched = true;
                                    let flow = self.render_block(body, scope, out)?;
                                    if flow != Flow::Normal {
                                        return Ok(flow);
                                    }
                                }
                            }
                        }
                        CaseBranch::Else(body) => {
                            if !matched {
                                let flow = self.render_block(body, scope, out)?;
                                if flow != Flow::Normal {
                                    return Ok(flow);
                                }
                            }
                        }
                    }
                }
            }
            Node::For(lp) => return self.render_for(lp, scope, out),
            Node::Tablerow(lp) => return self.render_tablerow(lp, scope, out),
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Cycle {
                group, values, key, ..
            } => {
                let key = match group {
                    Some(g) => self.eval(g, scope, true)?.to_output(),
                    None => key.to_string(),
                };
                let i = scope.cycles.get(&key).copied().unwrap_or(0);
                if let Some(e) = values.get(i) {
                    self.eval(e, scope, false)?.write_to(out);
                }
                let next = if i + 1 >= values.len() { 0 } else { i + 1 };
                scope.cycles.insert(key, next);
                self.check_output(out)?;
            }
            Node::Increment { name, .. } => {
                let c = scope.counters.entry(name.clone()).or_insert(0);
                let v = *c;
                *c = c.saturating_add(1);
                Value::Int(v).write_to(out);
            }
            Node::Decrement { name, .. } => {
                let c = scope.counters.entry(name.clone()).or_insert(0);
                *c = c.saturating_sub(1);
                Value::Int(*c).write_to(out);
            }
            Node::IfChanged(body) => {
                let mut buf = String::new();
                let flow = self.render_block(body, scope, &mut buf)?;
                if scope.ifchanged.as_deref() != Some(buf.as_str()) {
                    out.push_str(&buf);
                    self.check_output(out)?;
                    scope.ifchanged = Some(buf);
                }
                return Ok(flow);
            }
            Node::Partial(call) => return self.render_partial(call, scope, out),
        }
        Ok(Flow::Normal)
    }

    /// The items a loop iterates: arrays, ranges, objects (as `[key, value]` pairs), and a
    /// non-empty string as a single item.
    fn loop_items(&self, v: &Value, pos: usize) -> R<Arc<Vec<Value>>> {
        Ok(match v {
            Value::Array(a) => a.clone(),
            Value::Range(..) => Arc::new(
                v.to_items(self.fctx.max_items)
                    .map_err(|m| {
                        let mut e = Error::limit(LimitKind::LoopIterations, m);
                        let (l, c) = crate::error::line_col(&self.source, pos);
                        e.line = l;
                        e.column = c;
                        e
                    })?
                    .unwrap_or_default(),
            ),
            Value::Object(o) => Arc::new(
                o.iter()
                    .map(|(k, v)| Value::array(vec![Value::Str(k.clone()), v.clone()]))
                    .collect(),
            ),
            Value::Str(s) if !s.is_empty() => Arc::new(vec![v.clone()]),
            _ => Arc::new(Vec::new()),
        })
    }

    fn int_param(&mut self, e: &Expr, scope: &mut Scope<'_>, what: &str, pos: usize) -> R<i64> {
        let v = self.eval(e, scope, false)?;
        match v.as_ref() {
            Value::Nil => Ok(0),
            Value::Int(i) => Ok(*i),
            Value::Float(f) => Ok(*f as i64),
            Value::Str(s) => match crate::value::parse_number(s.trim()) {
                Some(Value::Int(i)) => Ok(i),
                Some(Value::Float(f)) => Ok(f as i64),
                _ => Err(self.err(
                    ErrorKind::Render,
                    format!("'{what}' expects an integer, got '{s}'"),
                    pos,
                )),
            },
            other => Err(self.err(
                ErrorKind::Render,
                format!("'{what}' expects an integer, got {}", other.type_name()),
                pos,
            )),
        }
    }

    /// Applies offset, limit and reversed; returns the window and where `continue` resumes.
    fn loop_window(
        &mut self,
        lp: &ForLoop,
        scope: &mut Scope<'_>,
    ) -> R<(Arc<Vec<Value>>, usize, usize)> {
        let coll = self.eval(&lp.collection, scope, false)?.into_owned();
        let items = self.loop_items(&coll, lp.pos)?;
        let from = match &lp.offset {
            None => 0,
            Some(Offset::Continue) => scope.offsets.get(&lp.name).copied().unwrap_or(0),
            Some(Offset::Expr(e)) => self.int_param(e, scope, "offset", lp.pos)?.max(0) as usize,
        };
        let from = from.min(items.len());
        let to = match &lp.limit {
            None => items.len(),
            Some(e) => {
                let limit = self.int_param(e, scope, "limit", lp.pos)?.max(0) as usize;
                from.saturating_add(limit).min(items.len())
            }
        };
        // The reference iterates a string once, whole, whatever the offset and limit say.
        if matches!(coll, Value::Str(_)) {
            return Ok((items.clone(), 0, items.len()));
        }
        Ok((items, from, to))
    }

    fn render_for(&mut self, lp: &ForLoop, scope: &mut Scope<'_>, out: &mut String) -> R<Flow> {
        let (items, from, to) = self.loop_window(lp, scope)?;
        // Recorded before iterating: a `break` does not change where `continue` resumes.
        scope.offsets.insert(lp.name.clone(), to);
        if from >= to {
            if let Some(body) = &lp.otherwise {
                return self.render_block(body, scope, out);
            }
            return Ok(Flow::Normal);
        }
        let window = &items[from..to];
        let n = window.len();
        scope.loops.push(LoopState {
            name: lp.name.clone(),
            index0: 0,
            length: n,
            cols: None,
            detached: false,
        });
        scope.stack.push((lp.var.clone(), Value::Nil));
        let result = (|| -> R<()> {
            for k in 0..n {
                self.tick()?;
                let item = if lp.reversed {
                    &window[n - 1 - k]
                } else {
                    &window[k]
                };
                if let Some(top) = scope.stack.last_mut() {
                    top.1 = item.clone();
                }
                if let Some(l) = scope.loops.last_mut() {
                    l.index0 = k;
                }
                if self.render_block(&lp.body, scope, out)? == Flow::Break {
                    break;
                }
            }
            Ok(())
        })();
        scope.stack.pop();
        scope.loops.pop();
        result?;
        Ok(Flow::Normal)
    }

    fn render_tablerow(
        &mut self,
        lp: &ForLoop,
        scope: &mut Scope<'_>,
        out: &mut String,
    ) -> R<Flow> {
        let (items, from, to) = self.loop_window(lp, scope)?;
        let window = &items[from..to];
        let n = window.len();
        let cols = match &lp.cols {
            None => n,
            Some(e) => match self.eval(e, scope, false)?.as_ref() {
                Value::Nil => n,
                _ => self.int_param(e, scope, "cols", lp.pos)?.max(0) as usize,
            },
        };
        let cols = if cols == 0 { n.max(1) } else { cols };
        out.push_str("<tr class=\"row1\">\n");
        scope.loops.push(LoopState {
            name: lp.name.clone(),
            index0: 0,
            length: n,
            cols: Some(cols),
            detached: false,
        });
        scope.stack.push((lp.var.clone(), Value::Nil));
        let result = (|| -> R<()> {
            for (k, item) in window.iter().enumerate() {
                self.tick()?;
                if let Some(top) = scope.stack.last_mut() {
                    top.1 = item.clone();
                }
                if let Some(l) = scope.loops.last_mut() {
                    l.index0 = k;
                }
                let col = k % cols + 1;
                out.push_str("<td class=\"col");
                out.push_str(&col.to_string());
                out.push_str("\">");
                let flow = self.render_block(&lp.body, scope, out)?;
                out.push_str("</td>");
                if flow == Flow::Break {
                    break;
                }
                if col == cols && k + 1 < n {
                    out.push_str("</tr>\n<tr class=\"row");
                    out.push_str(&(k / cols + 2).to_string());
                    out.push_str("\">");
                }
                self.check_output(out)?;
            }
            Ok(())
        })();
        scope.stack.pop();
        scope.loops.pop();
        result?;
        out.push_str("</tr>\n");
        Ok(Flow::Normal)
    }

    fn load_partial(&mut self, name: &str, pos: usize) -> R<Arc<Template>> {
        if let Some(t) = self.parsed_partials.get(name) {
            return Ok(t.clone());
        }
        let t = match self.partials.get(name) {
            Some(Partial::Parsed(t)) => t,
            Some(Partial::Source(src)) => {
                let t = self.engine.parse(&src).map_err(|mut e| {
                    e.partial = Some(name.to_string());
                    e
                })?;
                Arc::new(t)
            }
            None => {
                return Err(self.err(
                    ErrorKind::Render,
                    format!("partial '{name}' was not found"),
                    pos,
                ));
            }
        };
        self.parsed_partials.insert(name.to_string(), t.clone());
        Ok(t)
    }

    fn render_partial(
        &mut self,
        call: &PartialCall,
        scope: &mut Scope<'_>,
        out: &mut String,
    ) -> R<Flow> {
        let written: String = match &call.name {
            PartialName::Literal(s) => s.to_string(),
            PartialName::Dynamic(e) => self.eval(e, scope, false)?.to_output(),
        };
        let name = self
            .partials
            .qualify(&written, self.partial_name.as_deref())
            .unwrap_or_else(|| written.clone());
        if self.depth >= self.engine.limits.max_render_depth {
            let mut e = Error::limit(
                LimitKind::RenderDepth,
                format!(
                    "partials nest deeper than {} levels (at '{name}')",
                    self.engine.limits.max_render_depth
                ),
            );
            let (l, c) = crate::error::line_col(&self.source, call.pos);
            e.line = l;
            e.column = c;
            return Err(e);
        }
        let template = self.load_partial(&name, call.pos)?;
        let var_name: Arc<str> = call
            .alias
            .clone()
            .unwrap_or_else(|| Arc::from(written.rsplit('/').next().unwrap_or(&written)));
        let mut args = Vec::with_capacity(call.args.len());
        for (k, e) in &call.args {
            args.push((k.clone(), self.eval(e, scope, false)?.into_owned()));
        }
        let bound = match &call.bind {
            Some((e, is_for)) => Some((self.eval(e, scope, false)?.into_owned(), *is_for)),
            None => None,
        };

        let saved_source = std::mem::replace(&mut self.source, template.source.clone());
        let saved_name = self.partial_name.replace(name.clone());
        self.depth += 1;
        let result = if call.isolated {
            let mut inner = Scope::new(scope.globals);
            // Keyword arguments are the partial's own variables: it may reassign them.
            inner.assigns.extend(args);
            match bound {
                Some((v, true)) if matches!(v, Value::Array(_) | Value::Range(..)) => {
                    let items = self.loop_items(&v, call.pos)?;
                    let n = items.len();
                    inner.stack.push((var_name.clone(), Value::Nil));
                    inner.loops.push(LoopState {
                        name: var_name.clone(),
                        index0: 0,
                        length: n,
                        cols: None,
                        detached: true,
                    });
                    let mut r = Ok(Flow::Normal);
                    for (k, item) in items.iter().enumerate() {
                        if let Err(e) = self.tick() {
                            r = Err(e);
                            break;
                        }
                        if let Some(top) = inner.stack.last_mut() {
                            top.1 = item.clone();
                        }
                        if let Some(l) = inner.loops.last_mut() {
                            l.index0 = k;
                        }
                        // Each iteration is its own render: its assigns do not carry over.
                        inner.assigns.clear();
                        if let Err(e) = self.render_block(&template.root, &mut inner, out) {
                            r = Err(e);
                            break;
                        }
                    }
                    r
                }
                Some((v, _)) => {
                    inner.assigns.insert(var_name, v);
                    self.render_block(&template.root, &mut inner, out)
                }
                None => self.render_block(&template.root, &mut inner, out),
            }
            // A `break` inside a rendered partial ends that partial only.
            .map(|_| Flow::Normal)
        } else {
            let base = scope.stack.len();
            scope.stack.extend(args);
            let r = match bound {
                Some((v, true)) if matches!(v, Value::Array(_) | Value::Range(..)) => {
                    let items = self.loop_items(&v, call.pos)?;
                    scope.stack.push((var_name, Value::Nil));
                    let mut r = Ok(Flow::Normal);
                    for item in items.iter() {
                        if let Err(e) = self.tick() {
                            r = Err(e);
                            break;
                        }
                        if let Some(top) = scope.stack.last_mut() {
                            top.1 = item.clone();
                        }
                        match self.render_block(&template.root, scope, out) {
                            Ok(Flow::Normal) => {}
                            other => {
                                r = other;
                                break;
                            }
                        }
                    }
                    r
                }
                Some((v, _)) => {
                    scope.stack.push((var_name, v));
                    self.render_block(&template.root, scope, out)
                }
                None => self.render_block(&template.root, scope, out),
            };
            scope.stack.truncate(base);
            r
        };
        self.depth -= 1;
        self.source = saved_source;
        self.partial_name = saved_name;
        result
    }

    fn eval_condition(&mut self, cond: &Condition, scope: &mut Scope<'_>) -> R<bool> {
        Ok(match cond {
            Condition::Test(e) => self.eval(e, scope, false)?.is_truthy(),
            Condition::Not(c) => !self.eval_condition(c, scope)?,
            Condition::And(a, b) => {
                self.eval_condition(a, scope)? && self.eval_condition(b, scope)?
            }
            Condition::Or(a, b) => {
                self.eval_condition(a, scope)? || self.eval_condition(b, scope)?
            }
            Condition::Compare(l, op, r) => {
                let lv = self.eval(l, scope, false)?.into_owned();
                let rv = self.eval(r, scope, false)?.into_owned();
                compare(&lv, *op, &rv).map_err(|m| {
                    let pos = match l {
                        Expr::Path(p) => p.pos,
                        _ => 0,
                    };
                    self.err(ErrorKind::Render, m, pos)
                })?
            }
        })
    }

    fn eval_filtered(&mut self, fe: &FilteredExpr, scope: &mut Scope<'_>) -> R<Value> {
        // Strict mode still lets `default` supply a value for an undefined variable.
        let allow_undefined = fe
            .filters
            .first()
            .is_some_and(|f| f.name.as_ref() == "default");
        let mut v = self.eval(&fe.expr, scope, allow_undefined)?.into_owned();
        let mut args: Vec<Value> = Vec::new();
        let mut kwargs: Vec<(Arc<str>, Value)> = Vec::new();
        for f in &fe.filters {
            let bound = f.bound.as_ref().map(|b| &b.0);
            let Some(filter) = bound.or_else(|| self.engine.filters.get(&f.name)) else {
                return Err(self.err(
                    ErrorKind::UnknownFilter,
                    format!("unknown filter '{}'", f.name),
                    f.pos,
                ));
            };
            args.clear();
            kwargs.clear();
            for a in &f.args {
                args.push(self.eval(a, scope, false)?.into_owned());
            }
            for (k, a) in &f.kwargs {
                kwargs.push((k.clone(), self.eval(a, scope, false)?.into_owned()));
            }
            v = filter(&v, &FilterArgs::new(&args, &kwargs), &self.fctx).map_err(|e| match e {
                FilterError::Invalid(m) => self.err(
                    ErrorKind::Render,
                    format!("filter '{}': {m}", f.name),
                    f.pos,
                ),
                FilterError::Limit(m) => {
                    let mut e =
                        Error::limit(LimitKind::OutputSize, format!("filter '{}': {m}", f.name));
                    let (l, c) = crate::error::line_col(&self.source, f.pos);
                    e.line = l;
                    e.column = c;
                    e.partial = self.partial_name.clone();
                    e
                }
            })?;
            let too_big = match &v {
                Value::Str(s) => s.len() > self.fctx.max_string,
                Value::Array(a) => a.len() > self.fctx.max_items,
                _ => false,
            };
            if too_big {
                return Err(Error::limit(
                    LimitKind::OutputSize,
                    format!("filter '{}' produced a value over the size limit", f.name),
                ));
            }
        }
        Ok(v)
    }

    /// Evaluates an expression. An undefined root variable is nil, or an error in strict mode
    /// unless `allow_undefined`.
    fn eval<'a>(
        &mut self,
        e: &'a Expr,
        scope: &'a Scope<'_>,
        allow_undefined: bool,
    ) -> R<Cow<'a, Value>> {
        match e {
            Expr::Literal(v) => Ok(Cow::Borrowed(v)),
            Expr::Range(a, b) => {
                let a = range_bound(self.eval(a, scope, false)?.as_ref());
                let b = range_bound(self.eval(b, scope, false)?.as_ref());
                Ok(Cow::Owned(Value::Range(a, b)))
            }
            Expr::Path(p) => self.eval_path(p, scope, allow_undefined),
        }
    }

    fn eval_path<'a>(
        &mut self,
        p: &'a Path,
        scope: &'a Scope<'_>,
        allow_undefined: bool,
    ) -> R<Cow<'a, Value>> {
        let root_name: Cow<'_, str> = match &p.root {
            PathRoot::Name(n) => Cow::Borrowed(n.as_ref()),
            PathRoot::Computed(e) => Cow::Owned(self.eval(e, scope, false)?.to_output()),
        };
        if let (Some(Segment::Key(k)), true) = (p.segments.first(), p.segments.len() == 1)
            && (root_name == "forloop" || root_name == "tablerowloop")
            && !scope.stack.iter().any(|(n, _)| n.as_ref() == root_name)
            && let Some(v) = scope.loop_property(&root_name, k)
        {
            return Ok(Cow::Owned(v));
        }
        let mut cur: Cow<'a, Value> = match lookup(scope, &root_name) {
            Some(v) => v,
            None => {
                if self.strict && !allow_undefined {
                    return Err(self.err(
                        ErrorKind::UndefinedVariable,
                        format!("undefined variable '{root_name}'"),
                        p.pos,
                    ));
                }
                return Ok(Cow::Owned(Value::Nil));
            }
        };
        for seg in &p.segments {
            let next: Option<Cow<'a, Value>> = match seg {
                Segment::Key(k) => match cur {
                    Cow::Borrowed(v) => property(v, k),
                    Cow::Owned(v) => property(&v, k).map(|c| Cow::Owned(c.into_owned())),
                },
                Segment::Index(ie) => {
                    let key = self.eval(ie, scope, false)?.into_owned();
                    match cur {
                        Cow::Borrowed(v) => index(v, &key).map(Cow::Borrowed),
                        Cow::Owned(v) => index(&v, &key).cloned().map(Cow::Owned),
                    }
                }
            };
            match next {
                Some(v) => cur = v,
                None => return Ok(Cow::Owned(Value::Nil)),
            }
        }
        Ok(cur)
    }
}

fn lookup<'a>(scope: &'a Scope<'_>, name: &str) -> Option<Cow<'a, Value>> {
    if let Some((_, v)) = scope.stack.iter().rev().find(|(k, _)| k.as_ref() == name) {
        return Some(Cow::Borrowed(v));
    }
    if (name == "forloop" || name == "tablerowloop")
        && let Some(v) = scope.forloop_value(name)
    {
        return Some(Cow::Owned(v));
    }
    if let Some(v) = scope.assigns.get(name) {
        return Some(Cow::Borrowed(v));
    }
    if let Some(c) = scope.counters.get(name) {
        return Some(Cow::Owned(Value::Int(*c)));
    }
    scope.globals.get(name).map(Cow::Borrowed)
}

/// `.key`: an object's entry, else the special `size`, `first` and `last`.
fn property<'a>(v: &'a Value, key: &str) -> Option<Cow<'a, Value>> {
    match v {
        Value::Object(o) => match o.get(key) {
            Some(x) => Some(Cow::Borrowed(x)),
            None => match key {
                "size" => Some(Cow::Owned(Value::Int(o.len() as i64))),
                "first" => o
                    .first()
                    .map(|(k, v)| Cow::Owned(Value::array(vec![Value::Str(k.clone()), v.clone()]))),
                _ => None,
            },
        },
        Value::Array(a) => match key {
            "size" => Some(Cow::Owned(Value::Int(a.len() as i64))),
            "first" => a.first().map(Cow::Borrowed),
            "last" => a.last().map(Cow::Borrowed),
            _ => None,
        },
        Value::Range(s, e) => match key {
            "size" => Some(Cow::Owned(Value::Int(
                Value::range_len(*s, *e).min(i64::MAX as u64) as i64,
            ))),
            "first" if s <= e => Some(Cow::Owned(Value::Int(*s))),
            "last" if s <= e => Some(Cow::Owned(Value::Int(*e))),
            _ => None,
        },
        Value::Str(s) => match key {
            "size" => Some(Cow::Owned(Value::Int(s.chars().count() as i64))),
            _ => None,
        },
        _ => None,
    }
}

/// `[key]`: array index (negative counts from the end) or object key.
fn index<'a>(v: &'a Value, key: &Value) -> Option<&'a Value> {
    match (v, key) {
        (Value::Array(a), Value::Int(i)) => {
            let i = if *i < 0 {
                (a.len() as i64).checked_add(*i)?
            } else {
                *i
            };
            usize::try_from(i).ok().and_then(|i| a.get(i))
        }
        (Value::Object(o), Value::Str(k)) => o.get(k.as_ref()),
        (Value::Object(o), other) => o.get(other.to_output().as_str()),
        _ => None,
    }
}

/// Range bounds: integers as they are, floats truncated, numeric strings parsed, else 0.
fn range_bound(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Str(s) => match crate::value::parse_number(s.trim()) {
            Some(Value::Int(i)) => i,
            Some(Value::Float(f)) => f as i64,
            _ => 0,
        },
        _ => 0,
    }
}

/// Liquid comparison. Ordering a string against a number is an error, as in the reference;
/// other incomparable pairs are simply false.
fn compare(l: &Value, op: CompareOp, r: &Value) -> Result<bool, String> {
    use std::cmp::Ordering::*;
    Ok(match op {
        CompareOp::Eq => l.liquid_eq(r),
        CompareOp::Ne => !l.liquid_eq(r),
        CompareOp::Contains if !r.is_truthy() => false,
        CompareOp::Contains => match l {
            Value::Str(s) => match r {
                Value::Str(n) => s.contains(n.as_ref()),
                Value::Nil => false,
                other => s.contains(other.to_output().as_str()),
            },
            Value::Array(a) => a.iter().any(|x| x.liquid_eq(r)),
            Value::Object(o) => match r {
                Value::Str(k) => o.contains_key(k.as_ref()),
                _ => false,
            },
            Value::Range(s, e) => match r {
                Value::Int(i) => s <= i && i <= e,
                _ => false,
            },
            _ => false,
        },
        _ => {
            let Some(ord) = l.liquid_cmp(r) else {
                let numeric = |v: &Value| matches!(v, Value::Int(_) | Value::Float(_));
                if (numeric(l) && matches!(r, Value::Str(_)))
                    || (numeric(r) && matches!(l, Value::Str(_)))
                {
                    return Err(format!(
                        "cannot compare {} with {}",
                        l.type_name(),
                        r.type_name()
                    ));
                }
                return Ok(false);
            };
            match op {
                CompareOp::Lt => ord == Less,
                CompareOp::Gt => ord == Greater,
                CompareOp::Le => ord != Greater,
                CompareOp::Ge => ord != Less,
                _ => false,
            }
        }
    })
}
