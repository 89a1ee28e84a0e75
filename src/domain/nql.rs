//! Ghost's filter language (NQL), the part front ends use: `field:value`, `field:-value`
//! (not), `field:>value` (and `>=`, `<`, `<=`), `field:~value` (contains), lists
//! `field:[a,b]`, quoted values `'…'`, `+` for and, `,` for or (and binds tighter), and
//! parentheses. What is parsed here is only a tree: the store turns it into SQL whose values
//! are all bound parameters.

use std::fmt;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Compare {
        field: String,
        op: Op,
        value: FilterValue,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Not,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    One(String),
    List(Vec<String>),
}

/// Why a filter could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read the filter at character {}: {}",
            self.at + 1,
            self.message
        )
    }
}

/// Longest filter read, in bytes, and deepest nesting of parentheses.
pub const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 8;

pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_LEN {
        return Err(FilterError {
            at: MAX_LEN,
            message: format!("filters are at most {MAX_LEN} characters"),
        });
    }
    let mut p = Parser {
        s: input.as_bytes(),
        text: input,
        i: 0,
        depth: 0,
    };
    let filter = p.or()?;
    p.space();
    if p.i < p.s.len() {
        return Err(p.error("unexpected character"));
    }
    Ok(filter)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> FilterError {
        FilterError {
            at: self.i,
            message: message.to_owned(),
        }
    }

    fn space(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.space();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut parts = vec![self.and()?];
        while self.eat(b',') {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut parts = vec![self.atom()?];
        while self.eat(b'+') {
            parts.push(self.atom()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::And(parts)
        })
    }

    fn atom(&mut self) -> Result<Filter, FilterError> {
        if self.eat(b'(') {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error("too many nested parentheses"));
            }
            let inner = self.or()?;
            if !self.eat(b')') {
                return Err(self.error("a ( is not closed"));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.space();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || matches!(self.s[self.i], b'_' | b'.'))
        {
            self.i += 1;
        }
        if self.i == start {
            return Err(self.error("expected a field name"));
        }
        let field = self.text[start..self.i].to_ascii_lowercase();
        if !self.eat(b':') {
            return Err(self.error("expected : after the field name"));
        }
        self.space();
        let op = match self.s.get(self.i) {
            Some(b'-') => {
                self.i += 1;
                Op::Not
            }
            Some(b'~') => {
                self.i += 1;
                Op::Contains
            }
            Some(b'>') if self.s.get(self.i + 1) == Some(&b'=') => {
                self.i += 2;
                Op::Gte
            }
            Some(b'<') if self.s.get(self.i + 1) == Some(&b'=') => {
                self.i += 2;
                Op::Lte
            }
            Some(b'>') => {
                self.i += 1;
                Op::Gt
            }
            Some(b'<') => {
                self.i += 1;
                Op::Lt
            }
            _ => Op::Eq,
        };
        let value = if self.eat(b'[') {
            let mut items = vec![self.value()?];
            while self.eat(b',') {
                items.push(self.value()?);
            }
            if !self.eat(b']') {
                return Err(self.error("a [ is not closed"));
            }
            FilterValue::List(items)
        } else {
            FilterValue::One(self.value()?)
        };
        Ok(Filter::Compare { field, op, value })
    }

    /// A quoted string (`'…'` or `"…"`, with `\` escaping the next character) or a bare word.
    fn value(&mut self) -> Result<String, FilterError> {
        self.space();
        match self.s.get(self.i) {
            Some(&quote @ (b'\'' | b'"')) => {
                self.i += 1;
                let mut out = String::new();
                let mut chars = self.text[self.i..].char_indices();
                while let Some((at, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, next)) = chars.next() {
                                out.push(next);
                            }
                        }
                        c if c == quote as char => {
                            self.i += at + 1;
                            return Ok(out);
                        }
                        c => out.push(c),
                    }
                }
                self.i = self.s.len();
                Err(self.error("a quoted value is not closed"))
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b'+' | b',' | b')' | b']')
                {
                    self.i += 1;
                }
                let word = self.text[start..self.i].trim();
                if word.is_empty() {
                    return Err(self.error("expected a value"));
                }
                Ok(word.to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(field: &str, value: &str) -> Filter {
        Filter::Compare {
            field: field.into(),
            op: Op::Eq,
            value: FilterValue::One(value.into()),
        }
    }

    #[test]
    fn front_end_filters_are_read_with_and_binding_tighter_than_or() {
        assert_eq!(
            parse("tag:getting-started").unwrap(),
            eq("tag", "getting-started")
        );
        assert_eq!(
            parse("tag:news+featured:true,author:ann").unwrap(),
            Filter::Or(vec![
                Filter::And(vec![eq("tag", "news"), eq("featured", "true")]),
                eq("author", "ann"),
            ])
        );
        assert_eq!(
            parse("tags:[a, 'b c']+id:-5f1").unwrap(),
            Filter::And(vec![
                Filter::Compare {
                    field: "tags".into(),
                    op: Op::Eq,
                    value: FilterValue::List(vec!["a".into(), "b c".into()]),
                },
                Filter::Compare {
                    field: "id".into(),
                    op: Op::Not,
                    value: FilterValue::One("5f1".into()),
                },
            ])
        );
        assert_eq!(
            parse("published_at:>='2026-01-01 10:00:00'").unwrap(),
            Filter::Compare {
                field: "published_at".into(),
                op: Op::Gte,
                value: FilterValue::One("2026-01-01 10:00:00".into()),
            }
        );
        assert_eq!(
            parse("(tag:a,tag:b)+featured:true").unwrap(),
            Filter::And(vec![
                Filter::Or(vec![eq("tag", "a"), eq("tag", "b")]),
                eq("featured", "true"),
            ])
        );
    }

    #[test]
    fn broken_filters_say_where() {
        for (bad, at) in [
            ("tag", 3),
            ("tag:[a,b", 8),
            ("tag:'open", 9),
            (":x", 0),
            ("tag:a)", 5),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.at, at, "{bad}: {e}");
        }
        let deep = format!("{}tag:a{}", "(".repeat(9), ")".repeat(9));
        assert!(parse(&deep).is_err());
    }
}
