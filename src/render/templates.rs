//! Themes: Tera templates and the typed contexts they are rendered with.
//!
//! The built-in themes are embedded at compile time (`build.rs`), so the binary needs no
//! files at run time. Templates reach their assets through `asset_url(path=...)`, which
//! resolves to the content-hashed URL.

use std::collections::HashMap;

use anyhow::{Context, anyhow};
use serde::Serialize;
use tera::Tera;

use crate::assets;
use crate::error::Result;

/// The name of the built-in theme.
pub const DEFAULT_THEME: &str = "default";

/// The templates every theme must have.
pub const REQUIRED: &[&str] = &[
    "index.html",
    "post.html",
    "page.html",
    "tag.html",
    "author.html",
    "error.html",
];

/// A loaded theme.
pub struct Templates {
    tera: Tera,
}

impl Templates {
    /// Loads a built-in theme.
    pub fn builtin(theme: &str) -> anyhow::Result<Self> {
        let sources: Vec<(&str, &str)> = assets::THEME_TEMPLATES
            .iter()
            .filter(|(t, _, _)| *t == theme)
            .map(|(_, name, source)| (*name, *source))
            .collect();
        if sources.is_empty() {
            return Err(anyhow!("there is no built-in theme named {theme:?}"));
        }
        let mut tera = Tera::default();
        tera.add_raw_templates(sources)
            .with_context(|| format!("theme {theme:?} has a template error"))?;
        for name in REQUIRED {
            if !tera.get_template_names().any(|n| n == *name) {
                return Err(anyhow!("theme {theme:?} lacks {name}"));
            }
        }
        tera.register_function("asset_url", asset_url_function(theme));
        tera.set_escape_fn(escape_html);
        Ok(Templates { tera })
    }

    /// Renders `name` with a typed context.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String> {
        let context = tera::Context::from_serialize(context)?;
        Ok(self.tera.render(name, &context)?)
    }
}

/// Escapes what can break out of text or a quoted attribute. Unlike Tera's default it leaves
/// `/` alone, so URLs stay readable in the page source.
fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// `asset_url(path="css/screen.css")`: the theme's asset first, then `static/`.
fn asset_url_function(theme: &str) -> impl tera::Function + use<> {
    let prefix = format!("theme/{theme}/");
    let urls: HashMap<String, String> = assets::ASSETS
        .iter()
        .filter_map(|a| match a.logical.strip_prefix(&prefix) {
            Some(rest) => Some((rest.to_owned(), assets::url(a))),
            None if !a.logical.starts_with("theme/") => {
                Some((a.logical.to_owned(), assets::url(a)))
            }
            None => None,
        })
        .collect();
    move |args: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
        let path = args
            .get("path")
            .and_then(tera::Value::as_str)
            .ok_or_else(|| tera::Error::msg("asset_url needs path=\"...\""))?;
        urls.get(path)
            .map(|url| tera::Value::String(url.clone()))
            .ok_or_else(|| {
                tera::Error::msg(format!(
                    "asset_url: no asset {path:?} in the theme or static/"
                ))
            })
    }
}
