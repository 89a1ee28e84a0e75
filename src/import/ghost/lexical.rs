//! Lexical, Ghost 5's editor format, to Markdown.
//!
//! A post is `{"root": {"children": [...]}}`: element nodes (paragraph, heading, list, quote,
//! aside, link) hold children; text nodes carry a `format` bitmask; cards are nodes whose
//! fields are the card's and go to [`super::cards`]. Ghost names some nodes `extended-*`
//! (`extended-text`, `extended-heading`); they read like the plain ones.

use serde_json::Value;

use super::cards;
use super::emit::{self, Inline, ListItem};

/// Converts a Lexical document (its JSON) to Markdown.
pub fn to_markdown(doc: &Value) -> Result<String, String> {
    let children = doc
        .get("root")
        .and_then(|r| r.get("children"))
        .and_then(Value::as_array)
        .ok_or("no root.children")?;
    Ok(emit::join_blocks(children.iter().filter_map(block)))
}

fn kind(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

fn children(node: &Value) -> &[Value] {
    node.get("children")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// One top-level node.
fn block(node: &Value) -> Option<String> {
    match kind(node) {
        "paragraph" => Some(emit::inlines(&inlines(children(node)))),
        "heading" | "extended-heading" => {
            let level = node
                .get("tag")
                .and_then(Value::as_str)
                .and_then(|t| t.strip_prefix('h'))
                .and_then(|n| n.parse().ok())
                .unwrap_or(2);
            emit::heading(level, &emit::inlines_one_line(&inlines(children(node))))
        }
        // Ghost's "aside" is its second quote style; Markdown has one
        "quote" | "extended-quote" | "aside" => emit::blockquote(&content(children(node))),
        "list" => list(node),
        "code" => {
            let language = node.get("language").and_then(Value::as_str);
            Some(emit::code_block(&plain_text(children(node)), language))
        }
        "horizontalrule" => Some("---".to_owned()),
        "linebreak" | "" => None,
        other => match node.as_object() {
            Some(_) if node.get("children").is_some() => Some(content(children(node))),
            Some(card) => cards::render(other, card),
            None => None,
        },
    }
}

/// Children that are inline nodes, or blocks (a quote holding paragraphs).
fn content(nodes: &[Value]) -> String {
    let is_block = |n: &Value| {
        matches!(
            kind(n),
            "paragraph" | "heading" | "extended-heading" | "list" | "quote" | "extended-quote"
        )
    };
    if nodes.iter().any(is_block) {
        emit::join_blocks(nodes.iter().filter_map(block))
    } else {
        emit::inlines(&inlines(nodes))
    }
}

/// Inline children: text, line breaks, links (and whatever holds them).
fn inlines<'v>(nodes: impl IntoIterator<Item = &'v Value>) -> Vec<Inline> {
    let mut out = Vec::new();
    for node in nodes {
        match kind(node) {
            "linebreak" => out.push(Inline::Break),
            "link" | "autolink" => out.push(Inline::Link {
                url: node
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                title: node.get("title").and_then(Value::as_str).map(str::to_owned),
                children: inlines(children(node)),
            }),
            _ => {
                if let Some(text) = node.get("text").and_then(Value::as_str) {
                    let format = node.get("format").and_then(Value::as_u64).unwrap_or(0);
                    out.push(Inline::Text(
                        text.to_owned(),
                        u32::try_from(format).unwrap_or(0),
                    ));
                } else {
                    // TK reminders, @-links and other wrappers: their text counts
                    out.extend(inlines(children(node)));
                }
            }
        }
    }
    out
}

/// The text of a code node: its text runs, with line breaks as newlines.
fn plain_text(nodes: &[Value]) -> String {
    let mut out = String::new();
    for node in nodes {
        if kind(node) == "linebreak" {
            out.push('\n');
        } else if let Some(t) = node.get("text").and_then(Value::as_str) {
            out.push_str(t);
        } else {
            out.push_str(&plain_text(children(node)));
        }
    }
    out
}

/// A list; an item that holds only a list nests that list under the item before it, which is
/// how Lexical stores indentation.
fn list(node: &Value) -> Option<String> {
    let list_type = node.get("listType").and_then(Value::as_str).unwrap_or("");
    let ordered = list_type == "number" || node.get("tag").and_then(Value::as_str) == Some("ol");
    let mut number = node.get("start").and_then(Value::as_u64).unwrap_or(1);
    let mut items: Vec<ListItem> = Vec::new();
    for item in children(node) {
        let (nested, inline): (Vec<&Value>, Vec<&Value>) =
            children(item).iter().partition(|c| kind(c) == "list");
        let text = emit::inlines(&inlines(inline));
        let nested: Vec<String> = nested.into_iter().filter_map(list).collect();
        let nested = nested.join("\n");
        if text.is_empty()
            && !nested.is_empty()
            && let Some(prev) = items.last_mut()
        {
            prev.content.push('\n');
            prev.content.push_str(&nested);
            continue;
        }
        let mut content = match (list_type, item.get("checked").and_then(Value::as_bool)) {
            ("check", Some(true)) => format!("[x] {text}"),
            ("check", _) => format!("[ ] {text}"),
            _ => text,
        };
        if !nested.is_empty() {
            content.push('\n');
            content.push_str(&nested);
        }
        let marker = if ordered {
            format!("{number}.")
        } else {
            "-".to_owned()
        };
        number += 1;
        items.push(ListItem { marker, content });
    }
    emit::list(&items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(t: &str, format: u32) -> Value {
        json!({"type": "extended-text", "text": t, "format": format, "detail": 0, "mode": "normal", "style": "", "version": 1})
    }

    fn doc(children: Value) -> String {
        to_markdown(&json!({"root": {"type": "root", "children": children}})).unwrap()
    }

    #[test]
    fn nested_and_checked_lists() {
        let md = doc(json!([
            {"type": "list", "listType": "bullet", "children": [
                {"type": "listitem", "children": [text("one", 0)]},
                {"type": "listitem", "children": [
                    {"type": "list", "listType": "number", "start": 1, "children": [
                        {"type": "listitem", "children": [text("one.a", 0)]},
                        {"type": "listitem", "children": [text("one.b", 0)]}
                    ]}
                ]},
                {"type": "listitem", "children": [text("two", 0)]}
            ]},
            {"type": "list", "listType": "check", "children": [
                {"type": "listitem", "checked": true, "children": [text("done", 0)]},
                {"type": "listitem", "checked": false, "children": [text("todo", 0)]}
            ]}
        ]));
        assert_eq!(
            md,
            "- one\n  1. one.a\n  2. one.b\n- two\n\n<!-- -->\n\n- [x] done\n- [ ] todo"
        );
    }

    #[test]
    fn code_nodes_keep_their_lines() {
        let md = doc(json!([{"type": "code", "language": "js", "children": [
            {"type": "code-highlight", "text": "let a = 1;"},
            {"type": "linebreak"},
            {"type": "code-highlight", "text": "a *= 2;"}
        ]}]));
        assert_eq!(md, "```js\nlet a = 1;\na *= 2;\n```");
    }

    #[test]
    fn a_card_node_is_its_own_payload() {
        let node = json!({"type": "button", "buttonText": "Go", "buttonUrl": "https://x.test"});
        assert_eq!(
            cards::render("button", node.as_object().unwrap()).unwrap(),
            "[Go](https://x.test)"
        );
        assert_eq!(doc(json!([node])), "[Go](https://x.test)");
    }

    #[test]
    fn odd_nodes_are_passed_over_without_panicking() {
        let md = doc(json!([
            1, "x", null, {"type": 5}, {"type": "list", "children": "no"},
            {"type": "paragraph", "children": [{"type": "text", "text": 5}, {"type": "link"}, text("ok", 1 << 20)]},
            {"type": "heading", "tag": "h9", "children": [text("deep", 0)]},
            {"type": "image"}, {"type": "gallery", "images": [{"src": 3}]},
            {"type": "toggle"}, {"type": "callout", "calloutText": 7}
        ]));
        assert_eq!(md, "ok\n\n###### deep");
    }

    #[test]
    fn not_a_lexical_document() {
        assert!(to_markdown(&json!({"version": "0.3.1"})).is_err());
    }
}
