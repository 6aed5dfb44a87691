//! The parsed form of a template. Public so that embedders can inspect templates; positions are
//! byte offsets into the template source.

use std::sync::Arc;

use crate::value::Value;

/// A sequence of nodes, with Liquid's "blank" flag: a body of only whitespace and silent tags
/// (assign, capture, comments) whose whitespace is dropped when its block renders.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub nodes: Vec<Node>,
    pub blank: bool,
}

#[derive(Debug, Clone)]
pub enum Node {
    Text(Box<str>),
    /// `{{ expr }}` and `{% echo expr %}`.
    Output(FilteredExpr),
    Assign {
        name: Arc<str>,
        value: FilteredExpr,
        pos: usize,
    },
    Capture {
        name: Arc<str>,
        body: Block,
        pos: usize,
    },
    /// `if`, `elsif`, `else`, and `unless` (whose first condition is negated).
    If {
        branches: Vec<(Condition, Block)>,
        otherwise: Option<Block>,
        pos: usize,
    },
    Case {
        subject: Expr,
        branches: Vec<CaseBranch>,
        pos: usize,
    },
    For(Box<ForLoop>),
    Tablerow(Box<ForLoop>),
    Break,
    Continue,
    Cycle {
        group: Option<Expr>,
        values: Vec<Expr>,
        /// Identity of an unnamed cycle: its values as written.
        key: Arc<str>,
        pos: usize,
    },
    Increment {
        name: Arc<str>,
        pos: usize,
    },
    Decrement {
        name: Arc<str>,
        pos: usize,
    },
    IfChanged(Block),
    /// `render` (isolated scope) and `include` (shared scope).
    Partial(Box<PartialCall>),
}

#[derive(Debug, Clone)]
pub enum CaseBranch {
    When(Vec<Expr>, Block),
    Else(Block),
}

#[derive(Debug, Clone)]
pub struct ForLoop {
    pub var: Arc<str>,
    pub collection: Expr,
    pub reversed: bool,
    pub limit: Option<Expr>,
    /// `offset: continue` is `Offset::Continue`.
    pub offset: Option<Offset>,
    /// Tablerow only.
    pub cols: Option<Expr>,
    pub body: Block,
    pub otherwise: Option<Block>,
    /// Name under which `offset: continue` remembers where a loop stopped.
    pub name: Arc<str>,
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub enum Offset {
    Expr(Expr),
    Continue,
}

#[derive(Debug, Clone)]
pub struct PartialCall {
    /// `render` isolates the partial's scope; `include` shares the caller's.
    pub isolated: bool,
    pub name: PartialName,
    /// `with expr` / `for expr`.
    pub bind: Option<(Expr, bool)>,
    /// `as alias`; defaults to the partial's name.
    pub alias: Option<Arc<str>>,
    pub args: Vec<(Arc<str>, Expr)>,
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub enum PartialName {
    Literal(Arc<str>),
    /// `include` accepts a variable holding the name.
    Dynamic(Expr),
}

#[derive(Debug, Clone)]
pub enum Condition {
    Test(Expr),
    Compare(Expr, CompareOp, Expr),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

/// An expression followed by filters: `x | upcase | truncate: 10`.
#[derive(Debug, Clone)]
pub struct FilteredExpr {
    pub expr: Expr,
    pub filters: Vec<FilterCall>,
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub struct FilterCall {
    pub name: Arc<str>,
    pub args: Vec<Expr>,
    pub kwargs: Vec<(Arc<str>, Expr)>,
    pub pos: usize,
    /// The implementation, bound when the engine parsed the template, so rendering does not
    /// look filters up by name.
    pub(crate) bound: Option<BoundFilter>,
}

/// A filter implementation held by the AST.
#[derive(Clone)]
pub(crate) struct BoundFilter(pub Arc<crate::filters::FilterFn>);

impl std::fmt::Debug for BoundFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoundFilter")
    }
}

#[derive(Debug, Clone)]
pub enum Expr {
    Literal(Value),
    Path(Path),
    /// `(start..end)`.
    Range(Box<Expr>, Box<Expr>),
}

/// A variable reference: `user.name`, `items[0]`, `['a b'].c`.
#[derive(Debug, Clone)]
pub struct Path {
    pub root: PathRoot,
    pub segments: Vec<Segment>,
    pub pos: usize,
}

#[derive(Debug, Clone)]
pub enum PathRoot {
    Name(Arc<str>),
    /// `[expr]` at the start: the name is computed.
    Computed(Box<Expr>),
}

#[derive(Debug, Clone)]
pub enum Segment {
    Key(Arc<str>),
    Index(Expr),
}
