//! Syntax highlighting of fenced code blocks, done once when a post is rendered.
//!
//! The grammars are Sublime Text's, through syntect (with pure-Rust regexes). Each token is
//! marked with one of a few classes ([`CLASSES`]: `hl-keyword`, `hl-string`, ...) rather than
//! an inline colour: the site's Content Security Policy forbids inline styles, and the theme's
//! stylesheet gives the classes colours for light and dark schemes, readable against the code
//! background. Scopes are mapped to classes by a syntect theme whose "colours" are class
//! numbers, so the usual most-specific-selector rules of editor themes decide.
//!
//! A block whose language is unknown, missing, or plain text is left to pulldown-cmark as it
//! was; so is any block once the document has used up its highlighting budget, which keeps the
//! render of a very large post within the time of an ordinary one.

use std::sync::LazyLock;

use syntect::highlighting::{
    Color, HighlightIterator, HighlightState, Highlighter, ScopeSelectors, StyleModifier, Theme,
    ThemeItem,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// The classes a highlighted token can carry (each prefixed `hl-`), with the scopes they cover.
/// A token in none of them is left unmarked. The themes' stylesheets colour each class.
pub const CLASSES: &[(&str, &str)] = &[
    ("comment", "comment, punctuation.definition.comment"),
    (
        "string",
        "string, constant.character, markup.raw, punctuation.definition.string",
    ),
    ("escape", "constant.character.escape, string.regexp"),
    (
        "constant",
        "constant.numeric, constant.language, constant.other, support.constant, variable.language",
    ),
    (
        "keyword",
        "keyword, storage, keyword.control, variable.annotation, meta.annotation punctuation.definition.annotation",
    ),
    (
        "type",
        "entity.name.type, entity.name.class, entity.name.struct, entity.name.enum, \
         entity.name.trait, entity.name.interface, entity.other.inherited-class, support.type, \
         support.class, storage.type.primitive, storage.type.numeric",
    ),
    (
        "function",
        "entity.name.function, support.function, variable.function, support.macro, \
         entity.name.macro",
    ),
    ("tag", "entity.name.tag, markup.heading"),
    (
        "attr",
        "entity.other.attribute-name, meta.mapping.key string, support.type.property-name",
    ),
    ("inserted", "markup.inserted"),
    ("deleted", "markup.deleted"),
];

/// Scopes shown as plain text even inside a marked one: operators and punctuation read better
/// in the text colour.
const PLAIN: &str = "keyword.operator, punctuation.separator, punctuation.terminator, \
    punctuation.section, punctuation.accessor";

/// Source bytes of one block, at most, that are highlighted; a larger block stays plain.
pub const MAX_BLOCK: usize = 64 * 1024;
/// Source bytes of all blocks of one document, at most, that are highlighted; the blocks after
/// stay plain.
pub const MAX_DOCUMENT: usize = 128 * 1024;
/// A block with a longer line stays plain: the grammars' regexes are slow on very long lines
/// (minified code), and such a line is not read anyway.
const MAX_LINE: usize = 4 * 1024;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

static THEME: LazyLock<Theme> = LazyLock::new(|| {
    let item = |scopes: &str, class: u8| ThemeItem {
        scope: scopes
            .parse::<ScopeSelectors>()
            .expect("the class selectors are valid"),
        style: StyleModifier {
            foreground: Some(Color {
                r: class,
                g: 0,
                b: 0,
                a: 0xff,
            }),
            background: None,
            font_style: None,
        },
    };
    let mut scopes: Vec<ThemeItem> = CLASSES
        .iter()
        .zip(1u8..)
        .map(|((_, selectors), n)| item(selectors, n))
        .collect();
    scopes.push(item(PLAIN, 0));
    Theme {
        scopes,
        settings: syntect::highlighting::ThemeSettings {
            foreground: Some(Color {
                r: 0,
                g: 0,
                b: 0,
                a: 0xff,
            }),
            ..Default::default()
        },
        ..Default::default()
    }
});

/// What is left of one document's highlighting budget.
#[derive(Debug)]
pub struct Budget(usize);

impl Default for Budget {
    fn default() -> Self {
        Budget(MAX_DOCUMENT)
    }
}

/// The grammar of a fenced block's info string (`rust`, `py`, `JavaScript`, `rust,ignore`,
/// `js title=x`), if it names one other than plain text.
fn syntax_for(info: &str) -> Option<&'static SyntaxReference> {
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()?
        .trim();
    if lang.is_empty() || lang.len() > 32 {
        return None;
    }
    let syntaxes = &*SYNTAXES;
    let syntax = syntaxes
        .find_syntax_by_token(lang)
        .or_else(|| syntaxes.find_syntax_by_token(&lang.to_ascii_lowercase()))?;
    (syntax.name != "Plain Text").then_some(syntax)
}

/// `<pre><code class="language-X">` with the code's tokens in `<span class="hl-...">`, or
/// `None` when the block stays plain: the language is unknown, the block is too large or has
/// too long a line, or the budget is spent (it is charged only for highlighted blocks).
pub fn highlight_block(info: &str, code: &str, budget: &mut Budget) -> Option<String> {
    if code.len() > MAX_BLOCK || code.len() > budget.0 {
        return None;
    }
    if code.lines().any(|l| l.len() > MAX_LINE) {
        return None;
    }
    let syntax = syntax_for(info)?;
    let html = classed_html(syntax, code)?;
    budget.0 -= code.len();
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or_default();
    Some(format!(
        r#"<pre><code class="language-{}">{html}</code></pre>"#,
        escape(lang)
    ))
}

/// The code, escaped, its tokens wrapped in spans of their class; adjacent tokens of one
/// class share a span.
fn classed_html(syntax: &SyntaxReference, code: &str) -> Option<String> {
    let highlighter = Highlighter::new(&THEME);
    let mut parse = ParseState::new(syntax);
    let mut state = HighlightState::new(&highlighter, ScopeStack::new());
    let mut out = String::with_capacity(code.len() * 2);
    let mut open: u8 = 0;
    for line in LinesWithEndings::from(code) {
        let ops = parse.parse_line(line, &SYNTAXES).ok()?;
        for (style, text) in HighlightIterator::new(&mut state, &ops, line, &highlighter) {
            let class = usize::from(style.foreground.r);
            let class = if class <= CLASSES.len() {
                class as u8
            } else {
                0
            };
            // whitespace takes whatever class is open: fewer spans, same look
            if class != open && !text.trim().is_empty() {
                if open != 0 {
                    out.push_str("</span>");
                }
                if class != 0 {
                    out.push_str(r#"<span class="hl-"#);
                    out.push_str(CLASSES[usize::from(class) - 1].0);
                    out.push_str(r#"">"#);
                }
                open = class;
            }
            out.push_str(&escape(text));
        }
    }
    if open != 0 {
        out.push_str("</span>");
    }
    Some(out)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `class` is one the highlighter writes: what the sanitiser lets through on spans.
pub fn is_highlight_class(class: &str) -> bool {
    class
        .strip_prefix("hl-")
        .is_some_and(|name| CLASSES.iter().any(|(c, _)| *c == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighted(info: &str, code: &str) -> Option<String> {
        highlight_block(info, code, &mut Budget::default())
    }

    #[test]
    fn known_languages_get_classed_tokens() {
        let html = highlighted("rust", "// hi\nfn main() { let s = \"x\"; }\n").unwrap();
        assert!(
            html.starts_with(r#"<pre><code class="language-rust">"#),
            "{html}"
        );
        assert!(html.contains(r#"<span class="hl-comment">// hi"#), "{html}");
        // whitespace joins the span before it
        assert!(
            html.contains(r#"<span class="hl-keyword">fn </span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="hl-function">main</span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="hl-string">&quot;x&quot;</span>"#),
            "{html}"
        );
        for (info, code) in [
            ("python", "def f():\n    return 1\n"),
            ("py", "import os\n"),
            ("js", "const x = 1;\n"),
            ("JavaScript", "let y = 'a';\n"),
            ("rust,ignore", "fn f() {}\n"),
            ("sh", "echo hi\n"),
        ] {
            let html = highlighted(info, code).unwrap_or_default();
            assert!(html.contains("<span class=\"hl-"), "{info}: {html}");
        }
    }

    #[test]
    fn unknown_missing_and_plain_languages_stay_plain() {
        for info in ["", "nosuchlanguage", "text", "txt", &"x".repeat(100)] {
            assert_eq!(highlighted(info, "a < b\n"), None, "{info:?}");
        }
    }

    #[test]
    fn code_text_is_escaped() {
        let html = highlighted("html", "<script>alert(1)</script>\n").unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;"), "{html}");
        let html = highlighted("rust", "let s = \"</code><script>\";\n").unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;/code&gt;&lt;script&gt;"), "{html}");
    }

    #[test]
    fn large_blocks_and_spent_budgets_stay_plain() {
        let big = "let x = 1;\n".repeat(MAX_BLOCK / 11 + 1);
        assert_eq!(highlighted("rust", &big), None);
        assert_eq!(
            highlighted("js", &format!("{}\n", "a".repeat(MAX_LINE + 1))),
            None
        );
        let block = "let x = 1;\n".repeat(MAX_BLOCK / 11);
        let mut budget = Budget::default();
        let highlighted_blocks = (0..10)
            .filter(|_| highlight_block("rust", &block, &mut budget).is_some())
            .count();
        assert_eq!(highlighted_blocks, MAX_DOCUMENT / block.len());
    }

    #[test]
    fn the_sanitiser_rule_knows_every_class() {
        assert!(is_highlight_class("hl-keyword"));
        assert!(!is_highlight_class("hl-evil"));
        assert!(!is_highlight_class("keyword"));
    }

    #[test]
    fn every_class_has_colours_in_the_stylesheets() {
        let theme = include_str!("../../themes/default/assets/css/screen.css");
        let admin = include_str!("../../static/admin/admin.css");
        for (class, _) in CLASSES {
            for (name, css) in [("theme", theme), ("admin", admin)] {
                // once for light, once in the dark scheme's block
                assert!(
                    css.matches(&format!(".hl-{class} ")).count() >= 2,
                    "{name} stylesheet lacks .hl-{class} for light and dark"
                );
            }
        }
    }
}
