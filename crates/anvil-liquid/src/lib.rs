//! Anvil's Liquid template engine.
//!
//! Pure: no IO, no global state. Partials come from a [`PartialSource`] the caller supplies.
//!
//! ```
//! use anvil_liquid::{Engine, UndefinedMode, Value};
//! let engine = Engine::new();
//! let template = engine.parse("Hello {{ name | upcase }}!").unwrap();
//! let data = Value::from(serde_json::json!({"name": "Ada"}));
//! let out = engine.render(&template, &data, &(), UndefinedMode::Lenient).unwrap();
//! assert_eq!(out, "Hello ADA!");
//! ```

pub mod analysis;
pub mod ast;
pub mod error;
mod expr;
pub mod filters;
mod lexer;
mod parser;
mod render;
pub mod value;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use analysis::Analysis;
pub use error::{Error, ErrorKind, LimitKind};
pub use filters::{FilterArgs, FilterContext, FilterError, FilterRegistry};
pub use value::{Object, Value};

/// What an undefined variable does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UndefinedMode {
    /// Standard Liquid: an undefined variable renders as nothing and is falsy.
    #[default]
    Lenient,
    /// An undefined top-level name is an error that names it (except as the input of a
    /// `default` filter). Missing properties of defined objects are still nil, so that
    /// optional fields of an object parameter can be tested with `if`.
    Strict,
}

/// Limits that keep a hostile template harmless. Exceeding one is an error naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest template source, in bytes.
    pub max_template_bytes: usize,
    /// Deepest nesting of block tags.
    pub max_depth: usize,
    /// Loop iterations per render, over all loops together.
    pub max_loop_iterations: u64,
    /// Largest output (and largest string or capture built while rendering), in bytes.
    pub max_output_bytes: usize,
    /// Deepest nesting of `render`/`include`.
    pub max_render_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_template_bytes: 256 * 1024,
            max_depth: 100,
            max_loop_iterations: 1_000_000,
            max_output_bytes: 4 * 1024 * 1024,
            max_render_depth: 10,
        }
    }
}

/// A parsed template. Cheap to share between threads and renders.
#[derive(Debug, Clone)]
pub struct Template {
    pub(crate) root: ast::Block,
    pub(crate) source: Arc<str>,
}

impl Template {
    /// The template's top-level nodes.
    pub fn root(&self) -> &ast::Block {
        &self.root
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Variables, filters and partials the template uses.
    pub fn analyze(&self) -> Analysis {
        analysis::analyze(&self.root)
    }
}

/// A partial as a [`PartialSource`] provides it.
pub enum Partial<'a> {
    Source(Cow<'a, str>),
    Parsed(Arc<Template>),
}

/// Where `render` and `include` find partials.
pub trait PartialSource {
    fn get(&self, name: &str) -> Option<Partial<'_>>;

    /// The name a partial reference stands for when made from inside partial `from` (`None`:
    /// from the template being rendered). Sources with namespaces (Anvil's prompt sets, where
    /// `'footer'` inside another set's prompt means that set's footer) qualify names here;
    /// the default takes names as they are.
    fn qualify(&self, name: &str, from: Option<&str>) -> Option<String> {
        let _ = (name, from);
        None
    }
}

/// No partials.
impl PartialSource for () {
    fn get(&self, _name: &str) -> Option<Partial<'_>> {
        None
    }
}

impl PartialSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<Partial<'_>> {
        HashMap::get(self, name).map(|s| Partial::Source(Cow::Borrowed(s.as_str())))
    }
}

impl PartialSource for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<Partial<'_>> {
        BTreeMap::get(self, name).map(|s| Partial::Source(Cow::Borrowed(s.as_str())))
    }
}

impl PartialSource for HashMap<String, Arc<Template>> {
    fn get(&self, name: &str) -> Option<Partial<'_>> {
        HashMap::get(self, name).map(|t| Partial::Parsed(t.clone()))
    }
}

/// Parses and renders templates with a set of filters and limits.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) filters: FilterRegistry,
    pub(crate) limits: Limits,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    /// The standard filters and default limits.
    pub fn new() -> Self {
        Engine {
            filters: FilterRegistry::standard(),
            limits: Limits::default(),
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn filters(&self) -> &FilterRegistry {
        &self.filters
    }

    /// For registering custom filters.
    pub fn filters_mut(&mut self) -> &mut FilterRegistry {
        &mut self.filters
    }

    /// Parses a template. Unknown tags and filters are errors here, with line and column.
    pub fn parse(&self, source: &str) -> Result<Template, Error> {
        if source.len() > self.limits.max_template_bytes {
            return Err(Error::limit(
                LimitKind::TemplateSize,
                format!(
                    "template is {} bytes, the limit is {}",
                    source.len(),
                    self.limits.max_template_bytes
                ),
            ));
        }
        let toks = lexer::tokenize(source)?;
        let root = parser::Parser::new(source, toks, self.limits.max_depth, Some(&self.filters))
            .parse_document()?;
        Ok(Template {
            root,
            source: Arc::from(source),
        })
    }

    /// Renders with `data` as the global variables (an object; anything else means none).
    /// `'now' | date` sees the current time (UTC).
    pub fn render(
        &self,
        template: &Template,
        data: &Value,
        partials: &dyn PartialSource,
        mode: UndefinedMode,
    ) -> Result<String, Error> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.render_at(template, data, partials, mode, now)
    }

    /// Like [`Engine::render`], with the time `'now' | date` sees (Unix seconds, UTC).
    pub fn render_at(
        &self,
        template: &Template,
        data: &Value,
        partials: &dyn PartialSource,
        mode: UndefinedMode,
        now_unix: i64,
    ) -> Result<String, Error> {
        let empty = Object::new();
        let globals = match data {
            Value::Object(o) => o.as_ref(),
            _ => &empty,
        };
        render::Renderer::new(self, partials, mode, template.source.clone(), now_unix)
            .render_root(&template.root, globals)
    }
}
