//! A `tsquery` as PostgreSQL prints it (`'cach' <-> 'queri' & !'java' | 'photog':*`), read
//! back into its tree: what a search's snippets mark (its lexemes but those it excludes) and
//! which adjacent words a post must hold for its phrases to match (see [`Query::pairs`]).
//!
//! Precedence as PostgreSQL's: `!` binds tightest, then `<N>` (`<->` is `<1>`), `&`, `|`.

/// A pair of lexemes the index holds is shorter than this in bytes, the space between them
/// counted (`quire_search_pairs` in `migrations/0012_search_pairs.sql`).
pub const PAIR_BYTES: usize = 128;

/// A lexeme of a query: its text, whether it is a prefix (`:*`), whether it is restricted to
/// some weights (`:AB`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexeme {
    pub text: String,
    pub prefix: bool,
    pub weighted: bool,
}

/// A lexeme quoted as a `tsquery` writes it.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

impl Lexeme {
    /// As a `tsquery` writes it: quoted, a prefix with `:*` (weights left out).
    fn print(&self) -> String {
        let quoted = quote(&self.text);
        if self.prefix { quoted + ":*" } else { quoted }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Lexeme(Lexeme),
    Not(Box<Query>),
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    /// The right side `distance` positions after the left one's end.
    Phrase(Box<Query>, Box<Query>, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Lexeme(Lexeme),
    Not,
    And,
    Or,
    Phrase(u16),
    Open,
    Close,
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(match c {
            c if c.is_whitespace() => continue,
            '!' => Token::Not,
            '&' => Token::And,
            '|' => Token::Or,
            '(' => Token::Open,
            ')' => Token::Close,
            '<' => {
                let mut inside = String::new();
                for c in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                    inside.push(c);
                }
                Token::Phrase(if inside == "-" {
                    1
                } else {
                    inside.parse().ok()?
                })
            }
            '\'' => {
                let mut text = String::new();
                loop {
                    match chars.next()? {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        '\'' => break,
                        '\\' => text.push(chars.next()?),
                        c => text.push(c),
                    }
                }
                let (mut prefix, mut weighted) = (false, false);
                if chars.peek() == Some(&':') {
                    chars.next();
                    while let Some(&c) = chars.peek() {
                        match c {
                            '*' => prefix = true,
                            'A'..='D' | 'a'..='d' => weighted = true,
                            _ => break,
                        }
                        chars.next();
                    }
                }
                Token::Lexeme(Lexeme {
                    text,
                    prefix,
                    weighted,
                })
            }
            _ => return None,
        });
    }
    Some(out)
}

struct Parser {
    tokens: std::iter::Peekable<std::vec::IntoIter<Token>>,
}

impl Parser {
    fn or(&mut self) -> Option<Query> {
        let mut left = self.and()?;
        while self.tokens.next_if_eq(&Token::Or).is_some() {
            left = Query::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Query> {
        let mut left = self.phrase()?;
        while self.tokens.next_if_eq(&Token::And).is_some() {
            left = Query::And(Box::new(left), Box::new(self.phrase()?));
        }
        Some(left)
    }

    fn phrase(&mut self) -> Option<Query> {
        let mut left = self.unary()?;
        while let Some(Token::Phrase(distance)) =
            self.tokens.next_if(|t| matches!(t, Token::Phrase(_)))
        {
            left = Query::Phrase(Box::new(left), Box::new(self.unary()?), distance);
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<Query> {
        match self.tokens.next()? {
            Token::Not => Some(Query::Not(Box::new(self.unary()?))),
            Token::Open => {
                let inner = self.or()?;
                self.tokens.next_if_eq(&Token::Close)?;
                Some(inner)
            }
            Token::Lexeme(lexeme) => Some(Query::Lexeme(lexeme)),
            _ => None,
        }
    }
}

impl Query {
    /// `None` for an empty query (`''`, all stop words) or text that is not a printed
    /// `tsquery`.
    pub fn parse(text: &str) -> Option<Query> {
        let mut parser = Parser {
            tokens: tokens(text)?.into_iter().peekable(),
        };
        let query = parser.or()?;
        parser.tokens.next().is_none().then_some(query)
    }

    /// The lexemes a match holds: those not under `!` (or under it twice), each once, in
    /// order.
    pub fn lexemes(&self) -> Vec<&Lexeme> {
        fn walk<'q>(query: &'q Query, negated: bool, out: &mut Vec<&'q Lexeme>) {
            match query {
                Query::Lexeme(l) => {
                    if !negated && !l.text.is_empty() && !out.contains(&l) {
                        out.push(l);
                    }
                }
                Query::Not(q) => walk(q, !negated, out),
                Query::And(a, b) | Query::Or(a, b) | Query::Phrase(a, b, _) => {
                    walk(a, negated, out);
                    walk(b, negated, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(self, false, &mut out);
        out
    }

    /// Whether the query leaves anything out (has a `!`): then a post's title holding every
    /// word asked for does not say that the whole post matches.
    pub fn excludes(&self) -> bool {
        match self {
            Query::Lexeme(_) => false,
            Query::Not(_) => true,
            Query::And(a, b) | Query::Or(a, b) | Query::Phrase(a, b, _) => {
                a.excludes() || b.excludes()
            }
        }
    }

    /// A `tsquery` over a post's pairs of adjacent lexemes (`'cach queri'`: each lexeme and
    /// the one at the next position, as `quire_search_pairs` lists them) that every post
    /// matching this query matches: the index finds the posts where a phrase's words stand
    /// together, not every post holding them somewhere. `None` when the query has no phrase
    /// that such a pair narrows (single words, prefixes, phrases only under `!`).
    ///
    /// Only words at adjacent positions (`<->`) make a pair: PostgreSQL finds `'cat' <3>
    /// 'hat'` ("cat in the hat") in a post with other words in the stop words' places too.
    ///
    /// `separator` is what stands between the two lexemes of a pair: one space for the
    /// pairs of a post's text, two for those of its heading.
    pub fn pairs(&self, separator: &str) -> Option<String> {
        match self {
            Query::Lexeme(_) | Query::Not(_) => None,
            Query::And(a, b) => match (a.pairs(separator), b.pairs(separator)) {
                (Some(a), Some(b)) => Some(format!("{a} & {b}")),
                (a, b) => a.or(b),
            },
            Query::Or(a, b) => Some(format!(
                "( {} ) | ( {} )",
                a.pairs(separator)?,
                b.pairs(separator)?
            )),
            Query::Phrase(a, b, distance) => {
                let pair = (*distance == 1)
                    .then(|| a.last().zip(b.first()))
                    .flatten()
                    .map(|(l, r)| format!("{}{separator}{}", l.text, r.text))
                    .filter(|pair| pair.len() < PAIR_BYTES)
                    .map(|pair| quote(&pair));
                [a.pairs(separator), b.pairs(separator), pair]
                    .into_iter()
                    .flatten()
                    .reduce(|all, p| format!("{all} & {p}"))
            }
        }
    }

    /// The words this query asks for that are not in a phrase (`'zzz'` of `"cache query"
    /// zzz`), as a `tsquery` that every post matching this one matches: beside a phrase's
    /// pairs, the index of words then finds the posts that hold them too, where the pairs alone
    /// would have every post holding the phrase read to look for them. A phrase's own words are
    /// left out (its pairs say more), and what is excluded too (it narrows nothing). `None`
    /// when no such word is needed.
    pub fn other_words(&self) -> Option<String> {
        match self {
            Query::Lexeme(l) => Some(l.print()),
            Query::Not(_) | Query::Phrase(..) => None,
            Query::And(a, b) => match (a.other_words(), b.other_words()) {
                (Some(a), Some(b)) => Some(format!("{a} & {b}")),
                (a, b) => a.or(b),
            },
            Query::Or(a, b) => Some(format!(
                "( {} ) | ( {} )",
                a.other_words()?,
                b.other_words()?
            )),
        }
    }

    /// The lexeme a phrase of this query starts with, when it is one whole word.
    fn first(&self) -> Option<&Lexeme> {
        match self {
            Query::Lexeme(l) if !l.prefix && !l.text.is_empty() => Some(l),
            Query::Phrase(a, _, _) => a.first(),
            _ => None,
        }
    }

    /// The lexeme a phrase of this query ends with, when it is one whole word.
    fn last(&self) -> Option<&Lexeme> {
        match self {
            Query::Lexeme(l) if !l.prefix && !l.text.is_empty() => Some(l),
            Query::Phrase(_, b, _) => b.last(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Option<String> {
        Query::parse(text).expect("a printed tsquery").pairs(" ")
    }

    #[test]
    fn printed_queries_are_read_back_with_their_precedence() {
        let q = Query::parse("'cach' <-> 'queri' & !'java' | 'photog':*").unwrap();
        let texts: Vec<&str> = q.lexemes().iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["cach", "queri", "photog"]);
        assert!(matches!(q, Query::Or(..)));
        assert!(q.excludes());
        assert!(!Query::parse("'a' <-> 'b' | 'c':*").unwrap().excludes());
        let q = Query::parse(r"'it''s' & 'back\\slash':AB").unwrap();
        assert_eq!(
            q.lexemes(),
            [
                &Lexeme {
                    text: "it's".into(),
                    prefix: false,
                    weighted: false
                },
                &Lexeme {
                    text: r"back\slash".into(),
                    prefix: false,
                    weighted: true
                }
            ]
        );
        assert_eq!(Query::parse(""), None);
        assert_eq!(Query::parse("'a' &"), None);
        assert_eq!(Query::parse("( 'a' | 'b'"), None);
    }

    #[test]
    fn phrases_need_their_adjacent_pairs() {
        assert_eq!(pairs("'cach' & 'queri'"), None);
        let heading = Query::parse("'cach' <-> 'queri'").unwrap().pairs("  ");
        assert_eq!(heading.as_deref(), Some("'cach  queri'"));
        assert_eq!(pairs("'cach' <-> 'queri'").as_deref(), Some("'cach queri'"));
        assert_eq!(
            pairs("'well-known' <-> 'well' <-> 'known' <-> 'thing' & 'x'").as_deref(),
            Some("'well-known well' & 'well known' & 'known thing'")
        );
        assert_eq!(pairs("'cat' <3> 'hat'"), None);
        assert_eq!(
            pairs("'cat' <-> 'hat' <2> 'trick'").as_deref(),
            Some("'cat hat'")
        );
        // a pair under `or` is needed only where the other side has one too
        assert_eq!(
            pairs("'a' <-> 'b' | 'c' <-> 'd'").as_deref(),
            Some("( 'a b' ) | ( 'c d' )")
        );
        assert_eq!(pairs("'a' <-> 'b' | 'c'"), None);
        // what is excluded or a prefix needs nothing
        assert_eq!(pairs("'x' & !( 'a' <-> 'b' )"), None);
        assert_eq!(pairs("'a' <-> 'b':*"), None);
        // pairs too long for the index are not asked for
        let long = "x".repeat(PAIR_BYTES);
        assert_eq!(
            pairs(&format!("'{long}' <-> 'b' <-> 'c'")).as_deref(),
            Some("'b c'")
        );
        assert_eq!(
            pairs("'it''s' <-> 'a\\\\b'").as_deref(),
            Some(r"'it''s a\\b'")
        );
    }

    #[test]
    fn the_words_beside_a_phrase_are_asked_of_the_index_of_words() {
        let words = |text: &str| Query::parse(text).expect("a printed tsquery").other_words();
        assert_eq!(words("'cach' <-> 'queri'"), None);
        assert_eq!(
            words("!'zq3' & 'cach' <-> 'queri' & 'zzz' & 'rare':*").as_deref(),
            Some("'zzz' & 'rare':*")
        );
        assert_eq!(words("'a' <-> 'b' | 'c'"), None);
        assert_eq!(
            words("( 'a' | 'c' ) & 'x' <-> 'y'").as_deref(),
            Some("( 'a' ) | ( 'c' )")
        );
        assert_eq!(words("'x' & !'a'").as_deref(), Some("'x'"));
        assert_eq!(
            words("'a' <-> 'b' & 'it''s' & 'a\\\\b'").as_deref(),
            Some(r"'it''s' & 'a\\b'")
        );
    }
}
