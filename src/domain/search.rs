//! What a search box's text asks for, before the database reads it: the words as
//! `websearch_to_tsquery` understands them (phrases in quotes, `-word`, `or`), and the last
//! word as a prefix while it is being typed.

/// Longest search text read, in characters; the rest is dropped.
pub const MAX_QUERY_CHARS: usize = 200;
/// Shortest last word matched as a prefix: shorter ones would match half the index.
pub const MIN_PREFIX_CHARS: usize = 3;

/// A search, ready to bind: `text` as it was typed (shown back, and the cache's key);
/// `query`, what `websearch_to_tsquery` reads; and, when its last word may be unfinished,
/// `head` (the query without it) and `prefix` (the word, letters and digits only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub text: String,
    pub query: String,
    pub head: String,
    pub prefix: Option<String>,
}

impl Terms {
    /// The same search with every word finished: no prefix.
    pub fn finished(self) -> Terms {
        Terms {
            head: String::new(),
            prefix: None,
            ..self
        }
    }
}

/// Chinese, Japanese and Korean characters, which the index holds one by one (see
/// `quire_search_text` in the migrations).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}' | '\u{ac00}'..='\u{d7af}')
}

/// Spreads runs of CJK characters into phrases of single characters, as the index holds
/// them: `東京 weather` → `"東 京" weather`; inside quotes, the characters are spread only.
fn spread_cjk(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let (mut quoted, mut run) = (false, false);
    for c in text.chars() {
        if is_cjk(c) {
            out.push_str(match (run, quoted) {
                (false, false) => " \"",
                _ => " ",
            });
            out.push(c);
            run = true;
            continue;
        }
        if run && !quoted {
            out.push('"');
            if !c.is_whitespace() {
                out.push(' ');
            }
        }
        run = false;
        if c == '"' {
            quoted = !quoted;
        }
        out.push(c);
    }
    if run && !quoted {
        out.push('"');
    }
    out
}

impl Terms {
    /// `None` for a text with nothing to search for.
    pub fn parse(raw: &str) -> Option<Terms> {
        let text: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_QUERY_CHARS)
            .collect();
        let text = text.trim_start().to_owned();
        if !text.chars().any(char::is_alphanumeric) {
            return None;
        }
        // a word still being typed: the last one, not followed by a space or a quote, not
        // inside an open quote, not an operator
        let typing =
            !text.ends_with(char::is_whitespace) && text.matches('"').count().is_multiple_of(2);
        let last = text.rsplit(char::is_whitespace).next().unwrap_or("");
        let prefix = (typing
            && last.chars().count() >= MIN_PREFIX_CHARS
            && last.chars().all(|c| c.is_alphanumeric() && !is_cjk(c))
            && !last.eq_ignore_ascii_case("or"))
        .then(|| last.to_owned());
        let head = match &prefix {
            Some(word) => spread_cjk(text[..text.len() - word.len()].trim_end()),
            None => String::new(),
        };
        let text = text.trim_end().to_owned();
        Some(Terms {
            query: spread_cjk(&text),
            text,
            head,
            prefix,
        })
    }
}

/// A snippet as HTML: the text escaped, each match (between U+E000 and U+E001, as
/// `domain::snippet` marks them) in `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    tera::escape_html(snippet.trim())
        .replace('\u{E000}', "<mark>")
        .replace('\u{E001}', "</mark>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(raw: &str) -> Option<(String, String)> {
        Terms::parse(raw).and_then(|t| Some((t.head, t.prefix?)))
    }

    #[test]
    fn the_last_word_typed_is_a_prefix() {
        assert_eq!(
            prefix("rust asyn"),
            Some(("rust".to_owned(), "asyn".to_owned()))
        );
        assert_eq!(prefix("photog"), Some((String::new(), "photog".to_owned())));
        assert_eq!(
            prefix("café crè"),
            Some(("café".to_owned(), "crè".to_owned()))
        );
    }

    #[test]
    fn finished_words_phrases_and_operators_are_not_prefixes() {
        assert_eq!(prefix("rust async "), None);
        assert_eq!(prefix("\"open phrase"), None);
        assert_eq!(prefix("\"a phrase\""), None);
        assert_eq!(prefix("rust -java"), None);
        assert_eq!(prefix("rust or"), None);
        assert_eq!(prefix("go"), None, "too short");
    }

    #[test]
    fn cjk_words_become_phrases_of_their_characters() {
        let t = Terms::parse("東京 weather").unwrap();
        assert_eq!(t.query, " \"東 京\" weather");
        assert_eq!(t.text, "東京 weather");
        assert_eq!(t.prefix.as_deref(), Some("weather"));
        assert_eq!(t.head, " \"東 京\"");
        assert_eq!(
            Terms::parse("\"東京の天気\"").unwrap().query,
            "\" 東 京 の 天 気\""
        );
        assert_eq!(Terms::parse("서울").unwrap().prefix, None);
    }

    #[test]
    fn empty_and_wordless_texts_search_nothing() {
        assert_eq!(Terms::parse(""), None);
        assert_eq!(Terms::parse("   "), None);
        assert_eq!(Terms::parse("\"\" - !"), None);
    }

    #[test]
    fn snippets_are_escaped_before_matches_are_marked() {
        assert_eq!(
            snippet_html(" a <script>alert(1)</script> \u{E000}runs\u{E001} & more "),
            "a &lt;script&gt;alert(1)&lt;&#x2F;script&gt; <mark>runs</mark> &amp; more"
        );
    }

    #[test]
    fn long_texts_are_cut_and_control_characters_dropped() {
        let t = Terms::parse(&"word ".repeat(100)).unwrap();
        assert!(t.text.chars().count() <= MAX_QUERY_CHARS);
        assert_eq!(Terms::parse("a\u{0}b\nc ").unwrap().text, "a b c");
    }
}
