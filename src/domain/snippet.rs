//! The passage of a post that a search result shows (to readers and in the admin's lists),
//! cut from the post's text around the words that matched, with those words between U+E000
//! and U+E001 (see `search::snippet_html`). Made here rather than with the database's
//! `ts_headline`, whose parser reads about 10 MB/s: half a millisecond for each result.
//!
//! The words are the query's lexemes as PostgreSQL prints the `tsquery` (stemmed, in quotes),
//! but those it excludes; a word of the text matches when it or its stem in the site's
//! language (Snowball's stemmers, as PostgreSQL's) is one, or starts with a prefix one. Where
//! no stemmer of ours knows the language, a word matches when it starts with the lexeme.

use std::cell::RefCell;
use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

use crate::domain::search::is_cjk;
use crate::domain::tsquery::{Lexeme, Query};

/// Words in a fragment, at most.
const MAX_WORDS: usize = 30;
/// Words shown before the first match of a fragment.
const LEAD_WORDS: usize = 6;
/// Fragments, at most.
const MAX_FRAGMENTS: usize = 2;
const DELIMITER: &str = " … ";

/// What a search marks in its results' text.
pub struct Marks {
    lexemes: Vec<Lexeme>,
    stemmer: Option<Stemmer>,
    /// A language stemmed by the database but not here: a lexeme marks the words it starts.
    loose: bool,
    /// Each word's answer, by the word in small letters: a text says most of its words many
    /// times, and stemming is most of what a snippet costs.
    seen: RefCell<Seen>,
}

#[derive(Default)]
struct Seen {
    answers: HashMap<String, bool, foldhash::fast::RandomState>,
    /// The word being looked up, in small letters (one buffer, not one string a word).
    word: String,
}

impl Marks {
    /// From a `tsquery` as PostgreSQL prints it (`'cach' <-> 'queri' & !'java' | 'photog':*`)
    /// and the name of the text-search configuration it was made with (`english`, `simple`...).
    pub fn new(tsquery: &str, config: &str) -> Marks {
        let algorithm = algorithm(config);
        Marks {
            lexemes: Query::parse(tsquery)
                .map(|q| q.lexemes().into_iter().cloned().collect())
                .unwrap_or_default(),
            stemmer: algorithm.map(Stemmer::create),
            loose: algorithm.is_none() && config != "simple",
            seen: RefCell::default(),
        }
    }

    /// Whether a word of the text (as written) is one the search asked for.
    fn marks(&self, word: &str) -> bool {
        let mut seen = self.seen.borrow_mut();
        let Seen { answers, word: low } = &mut *seen;
        low.clear();
        if word.is_ascii() {
            low.push_str(word);
            low.make_ascii_lowercase();
        } else if word.contains('Σ') {
            // a final sigma becomes ς, as only the whole word's lowering knows
            low.push_str(&word.to_lowercase());
        } else {
            low.extend(word.chars().flat_map(char::to_lowercase));
        }
        if let Some(&answer) = answers.get(low.as_str()) {
            return answer;
        }
        let answer = self.matches(low);
        answers.insert(low.clone(), answer);
        answer
    }

    /// Whether a word in small letters is one the search asked for.
    fn matches(&self, word: &str) -> bool {
        let stem = self.stemmer.as_ref().map(|s| s.stem(word));
        self.lexemes.iter().any(|l| {
            let is = |w: &str| {
                if l.prefix {
                    w.starts_with(&l.text)
                } else {
                    w == l.text
                }
            };
            match &stem {
                Some(stem) => is(word) || is(stem),
                None if self.loose => word.starts_with(&l.text),
                None => is(word),
            }
        })
    }
}

/// Snowball's stemmer for a PostgreSQL configuration; `None` for `simple` and the languages
/// it has no stemmer for here.
fn algorithm(config: &str) -> Option<Algorithm> {
    Some(match config {
        "arabic" => Algorithm::Arabic,
        "danish" => Algorithm::Danish,
        "dutch" => Algorithm::Dutch,
        "english" => Algorithm::English,
        "finnish" => Algorithm::Finnish,
        "french" => Algorithm::French,
        "german" => Algorithm::German,
        "greek" => Algorithm::Greek,
        "hungarian" => Algorithm::Hungarian,
        "italian" => Algorithm::Italian,
        "norwegian" => Algorithm::Norwegian,
        "portuguese" => Algorithm::Portuguese,
        "romanian" => Algorithm::Romanian,
        "russian" => Algorithm::Russian,
        "spanish" => Algorithm::Spanish,
        "swedish" => Algorithm::Swedish,
        "tamil" => Algorithm::Tamil,
        "turkish" => Algorithm::Turkish,
        _ => return None,
    })
}

/// The words of a text, as byte ranges, as far as they are read: runs of letters and digits,
/// each CJK character alone.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices();
    let mut start: Option<usize> = None;
    // a CJK character that ended the word before it, given next
    let mut pending: Option<(usize, usize)> = None;
    std::iter::from_fn(move || {
        if let Some(word) = pending.take() {
            return Some(word);
        }
        for (i, c) in chars.by_ref() {
            let cjk = is_cjk(c);
            let ended = match start {
                Some(s) if cjk || !c.is_alphanumeric() => {
                    start = None;
                    Some((s, i))
                }
                _ => None,
            };
            if cjk {
                let word = (i, i + c.len_utf8());
                return match ended {
                    Some(before) => {
                        pending = Some(word);
                        Some(before)
                    }
                    None => Some(word),
                };
            }
            if ended.is_some() {
                return ended;
            }
            if c.is_alphanumeric() && start.is_none() {
                start = Some(i);
            }
        }
        start.take().map(|s| (s, text.len()))
    })
}

/// The passage of `text` to show for a search: up to two fragments of up to 30 words around
/// the words that match, marked; the start of the text when none does.
pub fn snippet(text: &str, marks: &Marks) -> String {
    // the words read so far, each with whether it matches: a text is read only up to its
    // last fragment's end (a common word's fragments are in its first lines)
    let mut unread = words(text);
    let mut read: Vec<(usize, usize, bool)> = Vec::new();
    let mut read_to = |read: &mut Vec<(usize, usize, bool)>, n: usize| {
        while read.len() < n {
            let Some((s, e)) = unread.next() else { break };
            read.push((s, e, marks.marks(&text[s..e])));
        }
    };
    let mut fragments: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    while fragments.len() < MAX_FRAGMENTS {
        let mut first = next;
        loop {
            read_to(&mut read, first + 1);
            if first >= read.len() || read[first].2 {
                break;
            }
            first += 1;
        }
        if first >= read.len() {
            break;
        }
        let start = first.saturating_sub(LEAD_WORDS).max(next);
        read_to(&mut read, start + MAX_WORDS);
        let end = (start + MAX_WORDS).min(read.len());
        fragments.push((start, end));
        next = end;
    }
    if fragments.is_empty() {
        read_to(&mut read, MAX_WORDS);
        if !read.is_empty() {
            fragments.push((0, MAX_WORDS.min(read.len())));
        }
    }
    let mut out = String::new();
    for (n, &(start, end)) in fragments.iter().enumerate() {
        if n > 0 {
            out.push_str(DELIMITER);
        }
        let mut at = read[start].0;
        for &(s, e, matched) in &read[start..end] {
            push_spaced(&mut out, &text[at..s]);
            if matched {
                out.push('\u{E000}');
                out.push_str(&text[s..e]);
                out.push('\u{E001}');
            } else {
                out.push_str(&text[s..e]);
            }
            at = e;
        }
        // the punctuation that closes the last word (a full stop, a closing quote)
        let tail: String = text[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !c.is_alphanumeric())
            .collect();
        out.push_str(&tail);
    }
    out
}

/// Text between words, its runs of white space made one space.
fn push_spaced(out: &mut String, between: &str) {
    let mut space = false;
    for c in between.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexemes(tsquery: &str) -> Vec<Lexeme> {
        Marks::new(tsquery, "simple").lexemes
    }

    fn marked(text: &str, tsquery: &str, config: &str) -> String {
        snippet(text, &Marks::new(tsquery, config))
            .replace('\u{E000}', "[")
            .replace('\u{E001}', "]")
    }

    #[test]
    fn lexemes_left_out_are_not_marked() {
        let found = lexemes("!'zq1' & 'cach' <-> 'queri' | 'photog':* & !( 'java' <-> 'script' )");
        let texts: Vec<(&str, bool)> = found.iter().map(|l| (l.text.as_str(), l.prefix)).collect();
        assert_eq!(texts, [("cach", false), ("queri", false), ("photog", true)]);
        assert_eq!(lexemes("'it''s'")[0].text, "it's");
        assert_eq!(lexemes("!!'twice'")[0].text, "twice");
        assert!(lexemes("").is_empty());
    }

    #[test]
    fn words_are_marked_by_their_stem() {
        assert_eq!(
            marked(
                "Every day I went Running, then breakfast.",
                "'run'",
                "english"
            ),
            "Every day I went [Running], then breakfast."
        );
        assert_eq!(
            marked("Photography and photographs.", "'photog':*", "english"),
            "[Photography] and [photographs]."
        );
        // no stemmer here for the language: a word that starts with the lexeme; none at all
        // (`simple`): the word itself
        assert_eq!(
            marked("Cases i casa", "'cas'", "catalan"),
            "[Cases] i [casa]"
        );
        assert_eq!(marked("Cases i casa", "'casa'", "simple"), "Cases i [casa]");
    }

    #[test]
    fn long_texts_give_two_fragments_around_the_matches() {
        let filler = |n: usize| vec!["word"; n].join(" ");
        let text = format!("{} cache {} cache {}", filler(50), filler(80), filler(50));
        let out = marked(&text, "'cach'", "english");
        let parts: Vec<&str> = out.split(" … ").collect();
        assert_eq!(parts.len(), 2, "{out}");
        for part in parts {
            assert_eq!(part.split(' ').count(), MAX_WORDS, "{part}");
            assert!(part.contains("[cache]"), "{part}");
        }
    }

    #[test]
    fn nothing_matched_shows_the_start_and_cjk_characters_match_one_by_one() {
        assert_eq!(
            marked("Short  text\nhere.", "'zebra'", "english"),
            "Short text here."
        );
        assert_eq!(
            marked("東京の天気は晴れ", "'天' <-> '気'", "simple"),
            "東京の[天][気]は晴れ"
        );
        assert_eq!(marked("", "'a'", "english"), "");
    }
}
