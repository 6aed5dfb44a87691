//! Filters: the registry, the calling convention, and the standard Liquid filters.

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::Value;

/// Arguments of one filter call, already evaluated. Undefined variables arrive as `Value::Nil`.
#[derive(Debug, Clone, Copy)]
pub struct FilterArgs<'a> {
    /// `| f: a, b` gives `[a, b]`.
    pub positional: &'a [Value],
    /// `| f: a, key: b` gives `[("key", b)]`.
    pub keyword: &'a [(Arc<str>, Value)],
}

impl<'a> FilterArgs<'a> {
    pub fn new(positional: &'a [Value], keyword: &'a [(Arc<str>, Value)]) -> Self {
        FilterArgs {
            positional,
            keyword,
        }
    }

    /// The positional argument at `index`, if given.
    pub fn get(&self, index: usize) -> Option<&'a Value> {
        self.positional.get(index)
    }

    /// A keyword argument by name.
    pub fn keyword(&self, name: &str) -> Option<&'a Value> {
        self.keyword
            .iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v)
    }

    /// Checks the number of positional arguments, giving the message a template author sees.
    pub fn expect_count(&self, min: usize, max: usize) -> Result<(), String> {
        let n = self.positional.len();
        if n < min {
            Err(format!(
                "expected {} argument{}, got {n}",
                if min == max {
                    min.to_string()
                } else {
                    format!("at least {min}")
                },
                if min == 1 { "" } else { "s" }
            ))
        } else if n > max {
            Err(format!(
                "expected {} argument{}, got {n}",
                if min == max {
                    max.to_string()
                } else {
                    format!("at most {max}")
                },
                if max == 1 { "" } else { "s" }
            ))
        } else {
            Ok(())
        }
    }
}

/// What a filter may know about the render it runs in.
#[derive(Debug, Clone)]
pub struct FilterContext {
    /// Largest array a filter may build (ranges, `concat`, ...): the render's item limit.
    pub max_items: usize,
    /// Largest string a filter may build, in bytes: the render's output limit.
    pub max_string: usize,
    /// Seconds since the Unix epoch for `'now' | date` (UTC), fixed once per render.
    pub now_unix: i64,
}

impl Default for FilterContext {
    fn default() -> Self {
        FilterContext {
            max_items: 1_000_000,
            max_string: 4 * 1024 * 1024,
            now_unix: 0,
        }
    }
}

/// Why a filter failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// Bad input or arguments; the message is shown to the author (the renderer prefixes the
    /// filter name and position).
    Invalid(String),
    /// The result would exceed a size limit of the render.
    Limit(String),
}

impl From<String> for FilterError {
    fn from(m: String) -> Self {
        FilterError::Invalid(m)
    }
}

impl From<&str> for FilterError {
    fn from(m: &str) -> Self {
        FilterError::Invalid(m.to_string())
    }
}

pub type FilterResult = Result<Value, FilterError>;

/// A filter: input value, arguments, context.
pub type FilterFn = dyn Fn(&Value, &FilterArgs<'_>, &FilterContext) -> FilterResult + Send + Sync;

/// Filters by name. `FilterRegistry::standard()` holds every standard Liquid filter; embedders
/// add their own with `register`.
#[derive(Clone, Default)]
pub struct FilterRegistry {
    filters: HashMap<String, Arc<FilterFn>>,
}

impl std::fmt::Debug for FilterRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.filters.keys().collect();
        names.sort();
        f.debug_struct("FilterRegistry")
            .field("filters", &names)
            .finish()
    }
}

impl FilterRegistry {
    /// An empty registry.
    pub fn empty() -> Self {
        FilterRegistry::default()
    }

    /// A registry with all standard filters.
    pub fn standard() -> Self {
        let mut r = FilterRegistry::empty();
        standard::register_all(&mut r);
        r
    }

    /// Adds or replaces a filter.
    pub fn register<F>(&mut self, name: &str, f: F)
    where
        F: Fn(&Value, &FilterArgs<'_>, &FilterContext) -> FilterResult + Send + Sync + 'static,
    {
        self.filters.insert(name.to_string(), Arc::new(f));
    }

    pub fn get(&self, name: &str) -> Option<&Arc<FilterFn>> {
        self.filters.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.filters.contains_key(name)
    }
}

mod array;
mod date;
mod encoding;
mod math;
mod standard;
mod string;
