//! Mobiledoc, Ghost 1.x–4.x's editor format, to Markdown.
//!
//! A document is `{version, atoms, cards, markups, sections}`. Sections are markup sections
//! (`[1, "p", markers]`), image sections (`[2, src]`), list sections (`[3, "ul", [markers...]]`)
//! and card sections (`[10, card index]`). A marker is `[0, opened markups, closed count, text]`
//! or `[1, opened markups, closed count, atom index]`; markups open in order and close
//! innermost first. Version 0.2 differs in three places: markers have no type (`[opened,
//! closed, text]`), the markups are `sections[0]` and the sections `sections[1]`, and cards sit
//! in their section (`[10, name, payload]`).

use serde_json::{Map, Value};

use super::cards;
use super::emit::{self, Inline, ListItem, format};

/// Converts a Mobiledoc document (its JSON) to Markdown.
pub fn to_markdown(doc: &Value) -> Result<String, String> {
    let sections = doc
        .get("sections")
        .and_then(Value::as_array)
        .ok_or("no sections")?;
    let version = doc.get("version").and_then(Value::as_str).unwrap_or("");
    let (markups, sections) = if version.starts_with("0.2") {
        // 0.2 keeps its markups beside the sections: `sections: [markups, sections]`
        let part = |i: usize| {
            sections
                .get(i)
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
        };
        (part(0), part(1))
    } else {
        (array(doc, "markups"), sections.as_slice())
    };
    let doc = Doc {
        markups,
        atoms: array(doc, "atoms"),
        cards: array(doc, "cards"),
    };
    Ok(emit::join_blocks(
        sections.iter().filter_map(|s| doc.section(s)),
    ))
}

fn array<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

struct Doc<'a> {
    markups: &'a [Value],
    atoms: &'a [Value],
    cards: &'a [Value],
}

/// What an open markup does to the text inside it.
enum Effect<'a> {
    Format(u32),
    Link {
        href: &'a str,
        title: Option<&'a str>,
    },
    None,
}

impl<'a> Doc<'a> {
    fn section(&self, section: &Value) -> Option<String> {
        let s = section.as_array()?;
        match s.first().and_then(Value::as_u64)? {
            1 => {
                let tag = s.get(1)?.as_str()?.to_ascii_lowercase();
                let markers = s.get(2).and_then(Value::as_array)?;
                let content = self.inlines(markers);
                match tag.as_str() {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        emit::heading(tag[1..].parse().ok()?, &emit::inlines_one_line(&content))
                    }
                    "blockquote" | "aside" | "pull-quote" => {
                        emit::blockquote(&emit::inlines(&content))
                    }
                    _ => Some(emit::inlines(&content)),
                }
            }
            2 => {
                let src = s.get(1)?.as_str()?;
                Some(emit::image("", src, None))
            }
            3 => {
                let ordered = s.get(1)?.as_str()?.eq_ignore_ascii_case("ol");
                let items = s.get(2)?.as_array()?;
                let items: Vec<ListItem> = items
                    .iter()
                    .filter_map(Value::as_array)
                    .enumerate()
                    .map(|(i, markers)| ListItem {
                        marker: if ordered {
                            format!("{}.", i + 1)
                        } else {
                            "-".to_owned()
                        },
                        content: emit::inlines(&self.inlines(markers)),
                    })
                    .collect();
                emit::list(&items)
            }
            10 => {
                // 0.3: `[10, card index]`; 0.2: `[10, name, payload]`
                let (name, payload) = match s.get(1)? {
                    Value::String(name) => (name.as_str(), s.get(2)),
                    index => {
                        let index = usize::try_from(index.as_u64()?).ok()?;
                        let card = self.cards.get(index)?.as_array()?;
                        (card.first()?.as_str()?, card.get(1))
                    }
                };
                let empty = Map::new();
                cards::render(name, payload.and_then(Value::as_object).unwrap_or(&empty))
            }
            _ => None,
        }
    }

    fn effect(&self, index: usize) -> Effect<'a> {
        let Some(markup) = self.markups.get(index).and_then(Value::as_array) else {
            return Effect::None;
        };
        let tag = markup
            .first()
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let attr = |name: &str| {
            let attrs = markup.get(1).and_then(Value::as_array)?;
            attrs
                .chunks(2)
                .find(|kv| kv[0].as_str() == Some(name))
                .and_then(|kv| kv.get(1))
                .and_then(Value::as_str)
        };
        match tag.as_str() {
            "b" | "strong" => Effect::Format(format::BOLD),
            "i" | "em" => Effect::Format(format::ITALIC),
            "s" | "strike" | "del" => Effect::Format(format::STRIKETHROUGH),
            "u" => Effect::Format(format::UNDERLINE),
            "code" => Effect::Format(format::CODE),
            "sub" => Effect::Format(format::SUBSCRIPT),
            "sup" => Effect::Format(format::SUPERSCRIPT),
            "mark" => Effect::Format(format::HIGHLIGHT),
            "a" => Effect::Link {
                href: attr("href").unwrap_or(""),
                title: attr("title"),
            },
            _ => Effect::None,
        }
    }

    /// The markers of a section as inline content, links grouping the runs inside them.
    fn inlines(&self, markers: &[Value]) -> Vec<Inline> {
        let mut open: Vec<usize> = Vec::new();
        let mut out: Vec<Inline> = Vec::new();
        // the link the runs in `link_runs` are in, by markup index
        let mut link: Option<usize> = None;
        let mut link_runs: Vec<Inline> = Vec::new();

        for marker in markers.iter().filter_map(Value::as_array) {
            // 0.3: [type, opened, closed, value]; 0.2: [opened, closed, text]
            let (is_atom, opened, closed, value) = match marker.first() {
                Some(Value::Array(_)) => (false, marker.first(), marker.get(1), marker.get(2)),
                _ => (
                    marker.first().and_then(Value::as_u64) == Some(1),
                    marker.get(1),
                    marker.get(2),
                    marker.get(3),
                ),
            };
            for i in opened
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
            {
                if let Some(i) = i.as_u64().and_then(|i| usize::try_from(i).ok()) {
                    open.push(i);
                }
            }

            let mut fmt = 0;
            let mut current_link = None;
            for &i in &open {
                match self.effect(i) {
                    Effect::Format(f) => fmt |= f,
                    Effect::Link { .. } => current_link = Some(i),
                    Effect::None => {}
                }
            }
            let run = if is_atom {
                self.atom(value, fmt)
            } else {
                value
                    .and_then(Value::as_str)
                    .map(|t| Inline::Text(t.to_owned(), fmt))
            };

            if current_link != link {
                self.flush_link(link, &mut link_runs, &mut out);
                link = current_link;
            }
            if let Some(run) = run {
                if link.is_some() {
                    link_runs.push(run);
                } else {
                    out.push(run);
                }
            }

            let closed = closed
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0);
            open.truncate(open.len().saturating_sub(closed));
        }
        self.flush_link(link, &mut link_runs, &mut out);
        out
    }

    fn flush_link(&self, link: Option<usize>, runs: &mut Vec<Inline>, out: &mut Vec<Inline>) {
        let Some(index) = link else {
            return;
        };
        if let Effect::Link { href, title } = self.effect(index) {
            out.push(Inline::Link {
                url: href.to_owned(),
                title: title.map(str::to_owned),
                children: std::mem::take(runs),
            });
        }
    }

    /// An atom marker: `soft-return` is a line break; others show their text.
    fn atom(&self, index: Option<&Value>, fmt: u32) -> Option<Inline> {
        let index = usize::try_from(index?.as_u64()?).ok()?;
        let atom = self.atoms.get(index)?.as_array()?;
        match atom.first()?.as_str()? {
            "soft-return" => Some(Inline::Break),
            _ => {
                let text = atom.get(1)?.as_str()?;
                Some(Inline::Text(text.to_owned(), fmt))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_open_and_close_markups() {
        let doc = json!({
            "version": "0.3.1",
            "atoms": [["soft-return", "", {}]],
            "cards": [],
            "markups": [["strong"], ["a", ["href", "https://x.test", "rel", "noopener"]], ["em"]],
            "sections": [
                [1, "p", [
                    [0, [], 0, "Plain "],
                    [0, [0], 0, "bold "],
                    [0, [1], 1, "link"],
                    [0, [], 1, " and"],
                    [1, [], 0, 0],
                    [0, [2], 1, "italic"]
                ]]
            ]
        });
        assert_eq!(
            to_markdown(&doc).unwrap(),
            "Plain **bold [link](https://x.test) and**\\\n_italic_"
        );
    }

    #[test]
    fn version_0_2_keeps_markups_in_sections_and_markers_untyped() {
        let doc = json!({
            "version": "0.2.0",
            "sections": [
                [["b"]],
                [[1, "h2", [[[0], 1, "Title"]]], [10, "card-markdown", {"markdown": "*md*"}]]
            ]
        });
        assert_eq!(to_markdown(&doc).unwrap(), "## **Title**\n\n*md*");
    }

    #[test]
    fn odd_sections_and_markers_are_passed_over_without_panicking() {
        let doc = json!({
            "markups": [["a"], 3, ["b", "not attrs"]],
            "atoms": [["mention"], 4],
            "cards": [[], ["image"], 7],
            "sections": [
                5, [], [1], [1, "p", "no markers"], [9, "x"],
                [1, "p", [[0, [0], 0, "no href"], [0, [1, 2, 99], 40, " odd"], [1, [], 0, 1], [1, [], 0, 0], "junk"]],
                [3, "ul", [5, [[0, [], 0, "item"]]]],
                [10, 0], [10, 1], [10, 2], [10, 99], [2, 5]
            ]
        });
        assert_eq!(to_markdown(&doc).unwrap(), "no href **odd**\n\n- item");
    }

    #[test]
    fn list_and_image_sections() {
        let doc = json!({
            "markups": [],
            "sections": [
                [3, "ol", [[[0, [], 0, "first"]], [[0, [], 0, "second"]]]],
                [3, "ul", [[[0, [], 0, "dot"]]]],
                [2, "/content/images/x.png"]
            ]
        });
        assert_eq!(
            to_markdown(&doc).unwrap(),
            "1. first\n2. second\n\n- dot\n\n![](/content/images/x.png)"
        );
    }
}
