//! Partials for composed prompts: `{% render 'footer' %}` names a prompt of the same set,
//! `{% render 'common/tone/formal' %}` a prompt of a dependency. Every template is kept under
//! its qualified name (`project/set/prompt`), and a bare name is qualified with the set of
//! the prompt that wrote it, so a dependency's own `{% render 'x' %}` reaches its own `x`,
//! never the including set's.

use std::collections::HashMap;
use std::sync::Arc;

use anvil_liquid::{Partial, PartialSource, Template};

#[derive(Debug, Clone, Default)]
pub struct SetPartials {
    /// `project/set` of the set being rendered.
    top: String,
    templates: HashMap<String, Arc<Template>>,
}

/// The qualified name of a prompt.
pub fn qualified(set: &str, slug: &str) -> String {
    format!("{set}/{slug}")
}

impl SetPartials {
    /// Partials for rendering prompts of `top` (`project/set`).
    pub fn new(top: impl Into<String>) -> Self {
        SetPartials {
            top: top.into(),
            templates: HashMap::new(),
        }
    }

    /// Adds a prompt of `set` (`project/set`).
    pub fn insert(&mut self, set: &str, slug: &str, template: Arc<Template>) {
        self.templates.insert(qualified(set, slug), template);
    }

    /// Whether a reference written in a prompt of `set` finds a template.
    pub fn resolves(&self, set: &str, written: &str) -> bool {
        let name = if written.contains('/') {
            written.to_string()
        } else {
            qualified(set, written)
        };
        self.templates.contains_key(&name)
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

impl PartialSource for SetPartials {
    fn get(&self, name: &str) -> Option<Partial<'_>> {
        self.templates.get(name).map(|t| Partial::Parsed(t.clone()))
    }

    fn qualify(&self, name: &str, from: Option<&str>) -> Option<String> {
        if name.contains('/') {
            return None;
        }
        let set = from
            .and_then(|f| f.rsplit_once('/'))
            .map_or(self.top.as_str(), |(set, _)| set);
        Some(qualified(set, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::PromptEngine;
    use serde_json::Map;

    #[test]
    fn bare_names_stay_inside_the_set_that_wrote_them() {
        let e = PromptEngine::default();
        let parse = |s: &str| Arc::new(e.parse(s).unwrap_or_else(|err| panic!("{err}")));
        let mut p = SetPartials::new("support/emails");
        p.insert("support/emails", "footer", parse("[emails footer]"));
        p.insert("common/tone", "footer", parse("[tone footer]"));
        p.insert(
            "common/tone",
            "formal",
            parse("formal {% render 'footer' %}"),
        );
        let t = e
            .parse("{% render 'footer' %} {% render 'common/tone/formal' %}")
            .unwrap_or_else(|err| panic!("{err}"));
        let out = e
            .render(&t, &[], &Map::new(), &p, 0)
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(out.text, "[emails footer] formal [tone footer]");
        assert!(p.resolves("support/emails", "common/tone/formal"));
        assert!(p.resolves("common/tone", "footer"));
        assert!(!p.resolves("support/emails", "formal"));
        let missing = e
            .parse("{% render 'nope' %}")
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(e.render(&missing, &[], &Map::new(), &p, 0).is_err());
    }
}
