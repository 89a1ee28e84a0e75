//! The addresses a Markdown site's generator served each file at, so that every old URL can
//! redirect to the imported post: Jekyll's `permalink` (site-wide, per collection or per
//! file, in the site's `timezone`), Hugo's `[permalinks]`, `url`, `uglyURLs` and lowercasing,
//! Zola's section paths and `path`; and aliases normalised to the path a request for them
//! arrives with.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, TimeZone, Utc};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value};

use crate::domain::slug::slugify;

/// Which generator's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    Jekyll,
    Hugo,
    Zola,
    /// A plain folder: no old addresses beyond the aliases written in front matter.
    #[default]
    Plain,
}

/// What a site's configuration says about its addresses.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub flavour: Flavour,
    /// The old site's address (`https://old.example/blog/`), to recognise absolute links to it.
    pub base_url: Option<url::Url>,
    /// The path the old site lived under (`/blog`; empty at the root), before every old path.
    pub base_path: String,
    /// Jekyll: the site-wide `permalink` (a style name or a template).
    permalink: Option<String>,
    /// Jekyll: `collections: posts: permalink:`.
    posts_permalink: Option<String>,
    /// Jekyll: the collections it writes pages for (`output: true`), by name, with their
    /// `permalink` when they set one. Folders `_NAME/` at the site root hold their documents.
    collections: HashMap<String, Option<String>>,
    /// Jekyll: the `permalink` of `defaults` entries: `(scope path, scope type, permalink)`.
    defaults: Vec<(String, Option<String>, String)>,
    /// Jekyll: the site's `timezone`, in which dates are shown in URLs.
    timezone: Option<Zone>,
    /// Hugo: `[permalinks]` by section (lower case).
    permalinks: HashMap<String, String>,
    /// Hugo: `uglyURLs` (`/posts/x.html` rather than `/posts/x/`).
    ugly: bool,
    /// Hugo lowercases paths unless `disablePathToLower`.
    keep_case: bool,
    /// Hugo and Zola: the languages the site is written in (beyond the default one, pages of
    /// a language live under `/CODE/`).
    pub languages: Vec<Language>,
    /// The language of pages that name none (`defaultContentLanguage`, `default_language`).
    pub default_language: String,
    /// Hugo's `defaultContentLanguageInSubdir`: the default language under `/CODE/` too.
    default_in_subdir: bool,
    /// Hugo: the taxonomies by front matter key (`tags` → served under `/tags/`); Zola: the
    /// taxonomies its configuration declares.
    taxonomies: Vec<String>,
}

/// One language of a multilingual Hugo or Zola site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The code as it appears in paths and file names (`fr`, `pt-br`), lower case.
    pub code: String,
    /// Hugo: the folder its content lives in (`content/fr`), from the site root.
    pub content_dir: Option<String>,
    /// Hugo: `disabled = true` or listed in `disableLanguages`: nothing of it is published.
    pub disabled: bool,
}

/// A file's date as the generator saw it: the wall-clock time as written, and its offset
/// when one was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrittenDate {
    pub local: NaiveDateTime,
    pub offset: Option<i32>,
}

/// What the generator knows of one file when it makes its address.
#[derive(Debug, Clone, Default)]
pub struct Page<'a> {
    /// Folders from the content folder to the file's section (Jekyll: including those above
    /// `_posts`, which are categories).
    pub sections: &'a [String],
    /// The file name without extension (a bundle's folder name), with a Jekyll date.
    pub raw_name: &'a str,
    /// The file name without its Jekyll date.
    pub name: &'a str,
    pub slug: Option<&'a str>,
    pub title: &'a str,
    pub date: Option<WrittenDate>,
    /// Jekyll: front matter `categories` (and folder categories).
    pub categories: Vec<String>,
    /// Front matter `permalink` (Jekyll), `url` (Hugo) or `path` (Zola).
    pub permalink: Option<&'a str>,
    /// Jekyll: a post (in `_posts` or `_drafts`), not a page.
    pub post: bool,
    /// The file's path from the content folder (`blog/_posts/2019-05-17-x.md`).
    pub rel: &'a str,
    /// Jekyll: the collection a document of `_NAME/` belongs to (not `posts`).
    pub collection: Option<&'a str>,
    /// Hugo and Zola: the page's language, when the site has more than one.
    pub lang: Option<&'a str>,
}

impl Config {
    /// Reads the configuration of the site at `root` (for Hugo, `hugo` is its configuration
    /// already read by [`hugo_config`]). Settings that cannot be read are left at the
    /// generator's defaults.
    pub fn read(flavour: Flavour, root: &Path, hugo: Option<&Map<String, Value>>) -> Config {
        let mut config = Config {
            flavour,
            ..Config::default()
        };
        let fields = match flavour {
            Flavour::Jekyll => ["_config.yml", "_config.yaml"]
                .iter()
                .find_map(|f| read_config(&root.join(f))),
            Flavour::Hugo => hugo.cloned(),
            Flavour::Zola => read_config(&root.join("config.toml")),
            Flavour::Plain => None,
        }
        .unwrap_or_default();
        // Hugo reads its keys in any case
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        };
        let text = |key: &str| get(key).and_then(Value::as_str).map(str::to_owned);
        let truthy = |key: &str| get(key).is_some_and(|v| v.as_bool() == Some(true));
        match flavour {
            Flavour::Jekyll => {
                config.permalink = text("permalink");
                config.posts_permalink = get("collections")
                    .and_then(|c| c.get("posts")?.get("permalink")?.as_str())
                    .map(str::to_owned);
                config.timezone = text("timezone").and_then(|name| Zone::load(&name));
                // only the map form can say `output: true`; a list of names writes no pages
                if let Some(map) = get("collections").and_then(Value::as_object) {
                    for (name, settings) in map {
                        if name != "posts"
                            && settings.get("output").and_then(Value::as_bool) == Some(true)
                        {
                            let permalink = settings
                                .get("permalink")
                                .and_then(Value::as_str)
                                .map(str::to_owned);
                            config.collections.insert(name.clone(), permalink);
                        }
                    }
                }
                for entry in get("defaults")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(permalink) = entry
                        .get("values")
                        .and_then(|v| v.get("permalink"))
                        .and_then(Value::as_str)
                    else {
                        continue;
                    };
                    let scope = entry.get("scope");
                    let field = |key: &str| {
                        scope
                            .and_then(|s| s.get(key))
                            .and_then(Value::as_str)
                            .map(|s| s.trim_matches('/').to_owned())
                    };
                    config.defaults.push((
                        field("path").unwrap_or_default(),
                        field("type"),
                        permalink.to_owned(),
                    ));
                }
                let base = text("baseurl").unwrap_or_default();
                config.base_path = base.trim_end_matches('/').to_owned();
                if !config.base_path.is_empty() && !config.base_path.starts_with('/') {
                    config.base_path.insert(0, '/');
                }
                config.base_url = text("url").and_then(|u| {
                    url::Url::parse(&format!("{}{}/", u.trim_end_matches('/'), config.base_path))
                        .ok()
                });
            }
            Flavour::Hugo | Flavour::Zola => {
                let key = if flavour == Flavour::Hugo {
                    "baseURL"
                } else {
                    "base_url"
                };
                config.base_url = text(key)
                    .and_then(|u| url::Url::parse(&format!("{}/", u.trim_end_matches('/'))).ok());
                config.base_path = config
                    .base_url
                    .as_ref()
                    .map(|u| u.path().trim_end_matches('/').to_owned())
                    .unwrap_or_default();
                config.ugly = truthy("uglyURLs");
                config.keep_case = truthy("disablePathToLower");
                config.read_languages(&fields, flavour);
                config.taxonomies = match (flavour, get("taxonomies")) {
                    // Hugo: `[taxonomies] tag = "tags"`; without it, tags and categories
                    (Flavour::Hugo, Some(Value::Object(t))) => t
                        .values()
                        .filter_map(Value::as_str)
                        .map(str::to_lowercase)
                        .collect(),
                    (Flavour::Hugo, _) => vec!["tags".into(), "categories".into()],
                    // Zola: `taxonomies = [{name = "tags"}]`
                    (_, Some(Value::Array(list))) => list
                        .iter()
                        .filter_map(|t| t.get("name")?.as_str())
                        .map(str::to_owned)
                        .collect(),
                    _ => Vec::new(),
                };
                let disabled_kinds: Vec<String> =
                    get("disableKinds").map(list_of_strings).unwrap_or_default();
                if disabled_kinds
                    .iter()
                    .any(|k| matches!(k.to_lowercase().as_str(), "taxonomy" | "term"))
                {
                    config.taxonomies.clear();
                }
                if let Some(Value::Object(table)) = get("permalinks") {
                    for (section, pattern) in table {
                        match pattern {
                            Value::String(p) => {
                                config.permalinks.insert(section.to_lowercase(), p.clone());
                            }
                            // Hugo 0.115 and later: `[permalinks.page]`
                            Value::Object(kinds) if section.eq_ignore_ascii_case("page") => {
                                for (s, p) in kinds {
                                    if let Some(p) = p.as_str() {
                                        config.permalinks.insert(s.to_lowercase(), p.to_owned());
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            Flavour::Plain => {}
        }
        config
    }

    /// Hugo and Zola: the languages, and which one is the default.
    fn read_languages(&mut self, fields: &Map<String, Value>, flavour: Flavour) {
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        };
        let default_key = if flavour == Flavour::Hugo {
            "defaultContentLanguage"
        } else {
            "default_language"
        };
        self.default_language = get(default_key)
            .and_then(Value::as_str)
            .unwrap_or("en")
            .to_lowercase();
        self.default_in_subdir = flavour == Flavour::Hugo
            && get("defaultContentLanguageInSubdir") == Some(&Value::Bool(true));
        let disabled: Vec<String> = get("disableLanguages")
            .map(list_of_strings)
            .unwrap_or_default();
        if let Some(Value::Object(table)) = get("languages") {
            for (code, settings) in table {
                let field = |key: &str| {
                    settings.as_object().and_then(|m| {
                        m.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .map(|(_, v)| v)
                    })
                };
                let code = code.to_lowercase();
                self.languages.push(Language {
                    content_dir: field("contentDir")
                        .and_then(Value::as_str)
                        .map(|d| {
                            d.trim()
                                .trim_start_matches("./")
                                .trim_end_matches('/')
                                .to_owned()
                        })
                        .filter(|d| !d.is_empty()),
                    disabled: field("disabled") == Some(&Value::Bool(true))
                        || disabled.iter().any(|d| d.eq_ignore_ascii_case(&code)),
                    code,
                });
            }
        }
        if !self
            .languages
            .iter()
            .any(|l| l.code == self.default_language)
        {
            self.languages.push(Language {
                code: self.default_language.clone(),
                content_dir: None,
                disabled: false,
            });
        }
    }

    /// The language a file name ends in (`about.fr` → `fr`), when the site has it.
    pub fn language_of_name<'a>(&self, stem: &'a str) -> Option<(&'a str, &Language)> {
        let (name, code) = stem.rsplit_once('.')?;
        let lang = self
            .languages
            .iter()
            .find(|l| l.code.eq_ignore_ascii_case(code))?;
        (!name.is_empty()).then_some((name, lang))
    }

    /// Whether a page of language `lang` lives under `/CODE/`.
    pub fn in_language_dir(&self, lang: Option<&str>) -> bool {
        match lang {
            Some(code) => code != self.default_language || self.default_in_subdir,
            None => self.default_in_subdir,
        }
    }

    /// The path a language's pages are served under (`/fr`; empty for the default one).
    fn language_prefix(&self, lang: Option<&str>) -> String {
        if !matches!(self.flavour, Flavour::Hugo | Flavour::Zola) || !self.in_language_dir(lang) {
            return String::new();
        }
        format!("/{}", lang.unwrap_or(&self.default_language))
    }

    /// The list page the generator made for a section (`content/blog/` → `/blog/`), as a
    /// request for it arrives.
    pub fn section_url(&self, sections: &[String], lang: Option<&str>) -> Option<String> {
        let parts: Vec<String> = match self.flavour {
            Flavour::Hugo => sections
                .iter()
                .map(|s| {
                    let s = hugo_urlize(s);
                    if self.keep_case { s } else { s.to_lowercase() }
                })
                .collect(),
            Flavour::Zola => sections.iter().map(|s| slugify(s)).collect(),
            Flavour::Jekyll | Flavour::Plain => return None,
        };
        let parts: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        let path = format!("{}/{}/", self.language_prefix(lang), parts.join("/"));
        Some(self.finish(&path))
    }

    /// The generator's pages for the terms of a taxonomy (`tags: [Rust]` → `/tags/rust/`),
    /// for each of a page's terms: `(taxonomy, term, path)`, each followed by the taxonomy's
    /// own page (`/tags/`) with an empty term. Hugo: the taxonomies the site
    /// configures (tags and categories unless it says otherwise), from front matter keys;
    /// Zola: those its configuration declares, from the `[taxonomies]` table.
    pub fn term_urls(
        &self,
        fields: &Map<String, Value>,
        lang: Option<&str>,
    ) -> Vec<(String, String, String)> {
        let source = match self.flavour {
            Flavour::Hugo => Some(fields),
            Flavour::Zola => fields.get("taxonomies").and_then(Value::as_object),
            Flavour::Jekyll | Flavour::Plain => None,
        };
        let Some(source) = source else {
            return Vec::new();
        };
        let prefix = self.language_prefix(lang);
        let mut out = Vec::new();
        for taxonomy in &self.taxonomies {
            let Some(terms) = source
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(taxonomy))
                .map(|(_, v)| list_of_strings(v))
            else {
                continue;
            };
            for term in terms {
                let part = match self.flavour {
                    Flavour::Hugo => {
                        let t = hugo_urlize(&term);
                        if self.keep_case { t } else { t.to_lowercase() }
                    }
                    _ => slugify(&term),
                };
                if part.is_empty() {
                    continue;
                }
                let taxonomy_part = match self.flavour {
                    Flavour::Hugo => hugo_urlize(taxonomy).to_lowercase(),
                    _ => slugify(taxonomy),
                };
                let path = self.finish(&format!("{prefix}/{taxonomy_part}/{part}/"));
                out.push((taxonomy.clone(), term, path));
                // and the taxonomy's own page, which lists its terms
                let list = self.finish(&format!("{prefix}/{taxonomy_part}/"));
                out.push((taxonomy.clone(), String::new(), list));
            }
        }
        out
    }

    /// The path the generator served the page at (with the old site's base path), as a
    /// request for it arrives; `None` when the generator's rules say nothing (a plain folder).
    /// Jekyll: whether the folder `_NAME` at the site root is a collection Jekyll writes pages
    /// for (`collections: NAME: output: true` in `_config.yml`).
    pub fn is_output_collection(&self, folder: &str) -> bool {
        folder
            .strip_prefix('_')
            .is_some_and(|name| self.collections.contains_key(name))
    }

    pub fn old_url(&self, page: &Page<'_>) -> Option<String> {
        let path = match self.flavour {
            Flavour::Jekyll => self.jekyll_url(page),
            Flavour::Hugo => self.hugo_url(page),
            Flavour::Zola => zola_url(page),
            Flavour::Plain => return None,
        }?;
        let prefix = self.language_prefix(page.lang);
        Some(self.finish(&format!("{prefix}{path}")))
    }

    /// An alias (`aliases`, `redirect_from`) as the generator serves it: `/functions/title`
    /// is served at `/functions/title/` by Hugo and Zola, which write `…/index.html` for it;
    /// Hugo lowercases it; the old site's base path comes first. `None` for what is not a
    /// path on the site.
    pub fn alias(&self, alias: &str, section_path: &str) -> Option<String> {
        let alias = alias.trim();
        // Hugo reads an alias without a leading slash relative to the page's section
        let relative = self.flavour == Flavour::Hugo
            && !alias.starts_with('/')
            && url::Url::parse(alias).is_err();
        let mut path = if relative {
            alias_path(&format!("{}/{alias}", section_path.trim_end_matches('/')))?
        } else {
            alias_path(alias)?
        };
        if self.flavour == Flavour::Hugo && !self.keep_case {
            path = path.to_lowercase();
        }
        if matches!(self.flavour, Flavour::Hugo | Flavour::Zola) {
            path = with_slash(&path);
        }
        Some(self.finish(&path))
    }

    /// Prefixes the base path, tidies slashes and percent-encodes what a request would.
    fn finish(&self, path: &str) -> String {
        let mut out = String::with_capacity(path.len() + 1);
        let joined = format!("{}/{}", self.base_path, path.trim_start_matches('/'));
        for c in joined.chars() {
            if c == '/' && out.ends_with('/') {
                continue;
            }
            out.push(c);
        }
        encode_path(&out)
    }

    fn jekyll_url(&self, page: &Page<'_>) -> Option<String> {
        let style = self.permalink.as_deref().unwrap_or("date");
        // front matter defaults by scope: the most specific path that matches wins
        let kind = if page.post { "posts" } else { "pages" };
        let scoped = self
            .defaults
            .iter()
            .filter(|(path, kind_of, _)| {
                kind_of.as_deref().is_none_or(|k| k == kind)
                    && (path.is_empty()
                        || page.rel == path
                        || page.rel.starts_with(&format!("{path}/")))
            })
            .max_by_key(|(path, kind_of, _)| (path.len(), kind_of.is_some()))
            .map(|(_, _, permalink)| permalink.as_str());
        let collection = page
            .collection
            .and_then(|name| Some((name, self.collections.get(name)?)));
        let template = match (page.permalink.or(scoped), page.post) {
            (Some(p), _) => p.to_owned(),
            // a collection's documents: its permalink, else Jekyll's default for collections
            (None, _) if collection.is_some() => collection
                .and_then(|(_, permalink)| permalink.as_deref())
                .map_or_else(|| "/:collection/:path:output_ext".to_owned(), named_style),
            (None, true) => named_style(self.posts_permalink.as_deref().unwrap_or(style)),
            (None, false) => {
                let dir = page.sections.join("/");
                let suffix = match named_style(style) {
                    s if s.ends_with('/') => "/",
                    s if s.ends_with(":output_ext") => ".html",
                    _ => "",
                };
                return Some(if page.raw_name == "index" {
                    format!("/{dir}/")
                } else {
                    format!("/{dir}/{}{suffix}", page.raw_name)
                });
            }
        };
        let date = page.date.map(|d| match (d.offset, &self.timezone) {
            // Jekyll shows a date with a zone in the site's zone
            (Some(offset), zone) => {
                let instant = d.local - chrono::Duration::seconds(offset.into());
                let shift = zone.as_ref().map_or(0, |z| z.offset_at(instant));
                instant + chrono::Duration::seconds(shift.into())
            }
            (None, _) => d.local,
        });
        let pretty = |s: &str| jekyll_slugify(s, true);
        let slug_source = page.slug.unwrap_or(page.name);
        let mut categories: Vec<String> = Vec::new();
        for c in page
            .sections
            .iter()
            .cloned()
            .chain(page.categories.iter().cloned())
        {
            let c = c.to_lowercase();
            if !categories.contains(&c) {
                categories.push(c);
            }
        }
        let mut values: Vec<(&str, String)> = vec![
            ("categories", categories.join("/")),
            ("title", pretty(slug_source)),
            ("slug", jekyll_slugify(slug_source, false)),
            ("name", jekyll_slugify(page.name, false)),
            ("output_ext", ".html".to_owned()),
            ("collection", page.collection.unwrap_or("posts").to_owned()),
            (
                "path",
                collection_path(page).unwrap_or_else(|| page.sections.join("/")),
            ),
        ];
        if let Some(d) = date {
            for (key, format) in [
                ("year", "%Y"),
                ("month", "%m"),
                ("day", "%d"),
                ("i_month", "%-m"),
                ("i_day", "%-d"),
                ("short_year", "%y"),
                ("hour", "%H"),
                ("minute", "%M"),
                ("second", "%S"),
                ("y_day", "%j"),
                ("short_month", "%b"),
                ("long_month", "%B"),
                ("week", "%V"),
                ("w_year", "%G"),
                ("w_day", "%u"),
                ("short_day", "%a"),
                ("long_day", "%A"),
            ] {
                values.push((key, d.format(format).to_string()));
            }
        }
        expand(&template, &values)
    }

    fn hugo_url(&self, page: &Page<'_>) -> Option<String> {
        let lower = |s: &str| {
            if self.keep_case {
                s.to_owned()
            } else {
                s.to_lowercase()
            }
        };
        if let Some(url) = page.permalink {
            return Some(lower(&with_slash(url)));
        }
        let urlize = |s: &str| lower(&hugo_urlize(s));
        let name = page.slug.unwrap_or(page.raw_name);
        let section = page.sections.first().map(|s| s.to_lowercase());
        let pattern = section.as_ref().and_then(|s| self.permalinks.get(s));
        let path = match pattern {
            Some(pattern) => {
                let title_or = |s: Option<&str>| urlize(s.unwrap_or(page.title));
                let mut values: Vec<(&str, String)> = vec![
                    ("section", urlize(&page.sections[0])),
                    (
                        "sections",
                        page.sections
                            .iter()
                            .map(|s| urlize(s))
                            .collect::<Vec<_>>()
                            .join("/"),
                    ),
                    ("title", urlize(page.title)),
                    ("slug", title_or(page.slug)),
                    ("slugorfilename", urlize(name)),
                    ("slugorcontentbasename", urlize(name)),
                    ("filename", urlize(page.raw_name)),
                    ("contentbasename", urlize(page.raw_name)),
                ];
                if let Some(d) = page.date.map(|d| d.local) {
                    values.extend([
                        ("year", d.format("%Y").to_string()),
                        ("month", d.format("%m").to_string()),
                        ("monthname", lower(&d.format("%B").to_string())),
                        ("day", d.format("%d").to_string()),
                        ("weekday", d.weekday().num_days_from_sunday().to_string()),
                        ("weekdayname", lower(&d.format("%A").to_string())),
                        ("yearday", d.ordinal().to_string()),
                    ]);
                }
                let path = expand(pattern, &values)?;
                if self.ugly && path.ends_with('/') && path.len() > 1 {
                    format!("{}.html", path.trim_end_matches('/'))
                } else {
                    path
                }
            }
            None => {
                let parts: Vec<String> = page
                    .sections
                    .iter()
                    .map(|s| urlize(s))
                    .chain([urlize(name)])
                    .filter(|p| !p.is_empty())
                    .collect();
                if parts.is_empty() {
                    return None;
                }
                if self.ugly {
                    format!("/{}.html", parts.join("/"))
                } else {
                    format!("/{}/", parts.join("/"))
                }
            }
        };
        Some(path)
    }
}

fn zola_url(page: &Page<'_>) -> Option<String> {
    if let Some(path) = page.permalink {
        return Some(with_slash(&format!("/{}", path.trim_start_matches('/'))));
    }
    let parts: Vec<String> = page
        .sections
        .iter()
        .map(|s| slugify(s))
        .chain([slugify(page.slug.unwrap_or(page.name))])
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| format!("/{}/", parts.join("/")))
}

/// Jekyll's named permalink styles as templates; a template is returned as it is.
fn named_style(style: &str) -> String {
    match style {
        "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        other => other,
    }
    .to_owned()
}

/// Replaces `:name` placeholders by their values, longest names first (`:slugorfilename`
/// before `:slug`). `None` when the template names a value the file does not have (a date).
fn expand(template: &str, values: &[(&str, String)]) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let word_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let word = &after[..word_len];
        // the longest known name the word starts with (`:titlesuffix` is `:title` + `suffix`)
        let known = values
            .iter()
            .filter(|(k, _)| word.starts_with(k))
            .max_by_key(|(k, _)| k.len());
        match known {
            Some((k, v)) => {
                out.push_str(v);
                rest = &after[k.len()..];
            }
            None if is_date_token(word) => return None,
            None => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

fn is_date_token(word: &str) -> bool {
    [
        "year",
        "month",
        "day",
        "i_month",
        "i_day",
        "short_year",
        "hour",
        "minute",
        "second",
        "y_day",
        "weekday",
        "yearday",
        "monthname",
    ]
    .iter()
    .any(|t| word.starts_with(t))
}

/// Jekyll's `slugify`: `pretty` mode keeps case and `._~!$&'()+,;=@`; the default lowercases
/// and keeps letters and digits only.
/// A collection document's `:path`: its path inside `_NAME/`, without the extension
/// (`_docs/guides/intro.md` → `guides/intro`).
fn collection_path(page: &Page<'_>) -> Option<String> {
    let name = page.collection?;
    let inside = page.rel.strip_prefix(&format!("_{name}/"))?;
    let stem = inside.rsplit_once('.').map_or(inside, |(stem, _)| stem);
    Some(stem.to_owned())
}

fn jekyll_slugify(text: &str, pretty: bool) -> String {
    let keep = |c: char| c.is_alphanumeric() || (pretty && "._~!$&'()+,;=@".contains(c));
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if pretty {
        out.to_owned()
    } else {
        out.to_lowercase()
    }
}

/// Hugo's `urlize` of a path part: spaces become `-`, characters outside letters, digits and
/// `._-~+` go.
fn hugo_urlize(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some('-'),
            c if c.is_alphanumeric() || "._-~+/".contains(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// A string or a list of strings, as configuration and front matter write them.
fn list_of_strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A path with a trailing slash, unless its last part names a file (`.html`).
fn with_slash(path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or("");
    if path.ends_with('/') || last.contains('.') {
        path.to_owned()
    } else {
        format!("{path}/")
    }
}

/// An alias as a site path: `/2019/05/old/`, from a path or a full URL. `None` for what is
/// not a path on a site (`mailto:`, `..`).
pub fn alias_path(alias: &str) -> Option<String> {
    let alias = alias.trim();
    let path = match url::Url::parse(alias) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.path().to_owned(),
        Ok(_) => return None,
        Err(_) => alias.to_owned(),
    };
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    (path.len() > 1 && !path.contains("..") && !path.contains(':')).then_some(path)
}

/// What a request path cannot hold as it is: a browser sends these percent-encoded (UTF-8).
const PATH_ESCAPED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A path as a request for it arrives: non-ASCII and unsafe characters percent-encoded (what
/// is already encoded stays as it is).
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH_ESCAPED).to_string()
}

/// Reads a YAML, TOML or JSON configuration file into its fields.
/// The files a Hugo site's configuration may be in, in the order Hugo looks.
const HUGO_CONFIG_FILES: &[&str] = &[
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
    "config/_default/hugo.toml",
    "config/_default/config.toml",
];

/// A Hugo site's configuration, when `root` has one that parses: the site's configuration
/// file, and the files of `config/_default/` (`languages.toml` is the table `languages`,
/// `params.yaml` the table `params`, ...).
pub fn hugo_config(root: &Path) -> Option<Map<String, Value>> {
    let mut config = HUGO_CONFIG_FILES
        .iter()
        .find_map(|f| read_config(&root.join(f)));
    let dir = root.join("config/_default");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if matches!(stem, "hugo" | "config") {
                continue;
            }
            let Some(fields) = read_config(&file) else {
                continue;
            };
            config
                .get_or_insert_with(Map::new)
                .entry(stem.to_owned())
                .or_insert(Value::Object(fields));
        }
    }
    config
}

/// The content folder a Hugo configuration names (`contentDir`, any case), when it names one
/// inside the site.
pub fn hugo_content_dir(root: &Path, config: &Map<String, Value>) -> Option<std::path::PathBuf> {
    let dir = config
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("contentDir"))
        .and_then(|(_, v)| v.as_str())?;
    let dir = Path::new(dir.trim());
    let inside = dir.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    (inside && root.join(dir).is_dir()).then(|| root.join(dir))
}

fn read_config(path: &Path) -> Option<Map<String, Value>> {
    let text = std::fs::read_to_string(path).ok()?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let value: Value = match ext {
        "toml" => serde_json::to_value(toml::from_str::<toml::Table>(&text).ok()?).ok()?,
        "json" => serde_json::from_str(&text).ok()?,
        _ => serde_saphyr::from_str(&text).ok()?,
    };
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A time zone read from the system's zone database (`/usr/share/zoneinfo`, the TZif files
/// every Unix ships): the offsets in force from each transition on.
#[derive(Debug, Clone)]
struct Zone {
    /// `(from, offset)`: from that UTC second on, the zone is `offset` seconds from UTC.
    transitions: Vec<(i64, i32)>,
    /// The offset before the first transition.
    initial: i32,
}

impl Zone {
    /// The zone named `name` (`Europe/Berlin`), when the system knows it.
    fn load(name: &str) -> Option<Zone> {
        if name.is_empty()
            || name.contains("..")
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))
        {
            return None;
        }
        ["/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/etc/zoneinfo"]
            .iter()
            .find_map(|dir| std::fs::read(Path::new(dir).join(name)).ok())
            .and_then(|bytes| Zone::parse(&bytes))
            .or_else(|| {
                (name == "UTC").then_some(Zone {
                    transitions: Vec::new(),
                    initial: 0,
                })
            })
    }

    /// Parses TZif (RFC 8536), version 1 or its 64-bit block of version 2 and later.
    fn parse(bytes: &[u8]) -> Option<Zone> {
        let header = |at: usize| -> Option<[usize; 6]> {
            let h = bytes.get(at..at + 44)?;
            if &h[..4] != b"TZif" {
                return None;
            }
            let mut counts = [0usize; 6];
            for (i, c) in counts.iter_mut().enumerate() {
                let b = &h[20 + i * 4..24 + i * 4];
                *c = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            }
            Some(counts)
        };
        let [isut, isstd, leap, time, types, chars] = header(0)?;
        let v1_len = time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
        let (start, counts, width) = if bytes[4] >= b'2' {
            let at = 44 + v1_len;
            (at + 44, header(at)?, 8)
        } else {
            (44, [isut, isstd, leap, time, types, chars], 4)
        };
        let [_, _, _, time, types, _] = counts;
        let times = bytes.get(start..start + time * width)?;
        let indices = bytes.get(start + time * width..start + time * (width + 1))?;
        let infos =
            bytes.get(start + time * (width + 1)..start + time * (width + 1) + types * 6)?;
        let offset_of = |i: usize| -> Option<i32> {
            let b = infos.get(i * 6..i * 6 + 4)?;
            Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        let mut transitions = Vec::with_capacity(time);
        for i in 0..time {
            let t = &times[i * width..(i + 1) * width];
            let at = if width == 8 {
                i64::from_be_bytes(t.try_into().ok()?)
            } else {
                i64::from(i32::from_be_bytes(t.try_into().ok()?))
            };
            transitions.push((at, offset_of(usize::from(indices[i]))?));
        }
        Some(Zone {
            transitions,
            initial: offset_of(0)?,
        })
    }

    /// The zone's offset from UTC at the UTC time `at`.
    fn offset_at(&self, at: NaiveDateTime) -> i32 {
        let t = at.and_utc().timestamp();
        let i = self.transitions.partition_point(|(from, _)| *from <= t);
        if i == 0 {
            self.initial
        } else {
            self.transitions[i - 1].1
        }
    }
}

/// The wall-clock time and offset as written in a date (`2019-05-17 23:30:00 -0700`).
pub fn written(at: DateTime<Utc>, offset: Option<i32>) -> WrittenDate {
    let local = match offset.and_then(FixedOffset::east_opt) {
        Some(zone) => zone.from_utc_datetime(&at.naive_utc()).naive_local(),
        None => at.naive_utc(),
    };
    WrittenDate { local, offset }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str, offset: Option<i32>) -> Option<WrittenDate> {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()?;
        Some(WrittenDate { local, offset })
    }

    #[test]
    fn jekyll_permalinks_by_style_template_and_zone() {
        let mut config = Config {
            flavour: Flavour::Jekyll,
            ..Config::default()
        };
        let page = Page {
            raw_name: "2019-05-17-Hello World",
            name: "Hello World",
            title: "Hello",
            date: date("2019-05-17 23:30:00", Some(-7 * 3600)),
            categories: vec!["Travel".into()],
            post: true,
            ..Page::default()
        };
        assert_eq!(
            config.old_url(&page).as_deref(),
            Some("/travel/2019/05/18/Hello-World.html"),
            "the default style, the date in UTC without a timezone"
        );
        config.timezone = Zone::load("America/New_York");
        assert!(config.timezone.is_some(), "the system's zone database");
        assert_eq!(
            config.old_url(&page).as_deref(),
            Some("/travel/2019/05/18/Hello-World.html"),
            "02:30 in New York on the 18th"
        );
        config.timezone = Zone::load("America/Los_Angeles");
        assert_eq!(
            config.old_url(&page).as_deref(),
            Some("/travel/2019/05/17/Hello-World.html")
        );
        config.permalink = Some("pretty".into());
        assert_eq!(
            config.old_url(&page).as_deref(),
            Some("/travel/2019/05/17/Hello-World/")
        );
        config.permalink = Some("/:year/:i_month/:slug:output_ext".into());
        assert_eq!(
            config.old_url(&page).as_deref(),
            Some("/2019/5/hello-world.html")
        );
        config
            .defaults
            .push((String::new(), Some("posts".into()), "/all/:title/".into()));
        config
            .defaults
            .push(("_posts".into(), None, "/scoped/:title/".into()));
        assert_eq!(
            config
                .old_url(&Page {
                    rel: "_posts/2019-05-17-Hello World.md",
                    ..page.clone()
                })
                .as_deref(),
            Some("/scoped/Hello-World/"),
            "the most specific front matter default"
        );
        config.defaults.clear();
        config.posts_permalink = Some("/blog/:title/".into());
        assert_eq!(config.old_url(&page).as_deref(), Some("/blog/Hello-World/"));
        let about = Page {
            raw_name: "about",
            name: "about",
            ..Page::default()
        };
        assert_eq!(config.old_url(&about).as_deref(), Some("/about.html"));
        config.permalink = Some("pretty".into());
        assert_eq!(config.old_url(&about).as_deref(), Some("/about/"));
    }

    #[test]
    fn hugo_paths_permalinks_and_aliases() {
        let mut config = Config {
            flavour: Flavour::Hugo,
            ..Config::default()
        };
        let sections = vec!["Posts".to_owned()];
        let page = Page {
            sections: &sections,
            raw_name: "My_Post",
            name: "My_Post",
            title: "Déjà vu",
            date: date("2020-01-31 10:00:00", None),
            ..Page::default()
        };
        assert_eq!(config.old_url(&page).as_deref(), Some("/posts/my_post/"));
        config
            .permalinks
            .insert("posts".into(), "/:year/:monthname/:slug/".into());
        assert_eq!(
            config.old_url(&page).as_deref(),
            Some("/2020/january/d%C3%A9j%C3%A0-vu/")
        );
        assert_eq!(
            config.alias("/Functions/Title", "").as_deref(),
            Some("/functions/title/")
        );
        assert_eq!(config.alias("old.html", "").as_deref(), Some("/old.html"));
        assert_eq!(
            config.alias("old-name", "/posts").as_deref(),
            Some("/posts/old-name/"),
            "relative to the section"
        );
        config.base_path = "/docs".into();
        assert_eq!(config.alias("/x", "").as_deref(), Some("/docs/x/"));
    }

    #[test]
    fn zola_path_wins() {
        let config = Config {
            flavour: Flavour::Zola,
            ..Config::default()
        };
        let page = Page {
            name: "x",
            permalink: Some("about-me"),
            ..Page::default()
        };
        assert_eq!(config.old_url(&page).as_deref(), Some("/about-me/"));
    }
}
