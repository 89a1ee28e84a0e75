//! What a revision keeps of a post, and how it differs from the post as it is now: what a
//! writer reads before bringing an older version back.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// The fields a revision keeps beside the title and the text. Status, date and address are
/// not among them: restoring brings back what the post said, not when or where it appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RevisionFields {
    pub custom_excerpt: Option<String>,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub featured: bool,
    /// Tag names, in the post's order.
    pub tags: Vec<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
}

/// One field that restoring would change, as the writer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub current: String,
    pub revision: String,
}

impl RevisionFields {
    /// The fields whose value differs from `current`, labelled as the editor labels them.
    pub fn changes_from(&self, current: &RevisionFields) -> Vec<FieldChange> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
        let pairs = [
            (
                "Excerpt",
                text(&current.custom_excerpt),
                text(&self.custom_excerpt),
            ),
            (
                "Feature image",
                text(&current.feature_image),
                text(&self.feature_image),
            ),
            (
                "Feature image alt text",
                text(&current.feature_image_alt),
                text(&self.feature_image_alt),
            ),
            (
                "Feature image caption",
                text(&current.feature_image_caption),
                text(&self.feature_image_caption),
            ),
            ("Featured", yes_no(current.featured), yes_no(self.featured)),
            ("Tags", current.tags.join(", "), self.tags.join(", ")),
            (
                "Meta title",
                text(&current.meta_title),
                text(&self.meta_title),
            ),
            (
                "Meta description",
                text(&current.meta_description),
                text(&self.meta_description),
            ),
            (
                "Canonical URL",
                text(&current.canonical_url),
                text(&self.canonical_url),
            ),
        ];
        pairs
            .into_iter()
            .filter(|(_, now, then)| now != then)
            .map(|(field, current, revision)| FieldChange {
                field,
                current,
                revision,
            })
            .collect()
    }
}

/// A line of a text diff: kept, gone or brought back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// `equal`, `delete` (in the current text only) or `insert` (in the revision only).
    pub tag: &'static str,
    pub text: String,
}

/// Lines of context kept around each change.
const CONTEXT: usize = 3;

/// What changes in the text when `current` becomes `revision`: groups of changed lines with
/// a little context around them; no groups when the texts are the same.
pub fn text_diff(current: &str, revision: &str) -> Vec<Vec<DiffLine>> {
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_lines(current, revision);
    diff.grouped_ops(CONTEXT)
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| DiffLine {
                    tag: match change.tag() {
                        ChangeTag::Equal => "equal",
                        ChangeTag::Delete => "delete",
                        ChangeTag::Insert => "insert",
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_shows_changed_lines_with_context_and_nothing_for_equal_texts() {
        let current = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
        let revision = "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\neight\nnine\n";
        let groups = text_diff(current, revision);
        assert_eq!(groups.len(), 1);
        let lines: Vec<(&str, &str)> = groups[0].iter().map(|l| (l.tag, l.text.as_str())).collect();
        assert_eq!(
            lines,
            [
                ("equal", "two"),
                ("equal", "three"),
                ("equal", "four"),
                ("delete", "five"),
                ("insert", "FIVE"),
                ("equal", "six"),
                ("equal", "seven"),
                ("equal", "eight"),
            ]
        );
        assert!(text_diff(current, current).is_empty());
    }

    #[test]
    fn field_changes_name_only_what_differs() {
        let current = RevisionFields {
            tags: vec!["a".into(), "b".into()],
            featured: true,
            ..Default::default()
        };
        let older = RevisionFields {
            tags: vec!["a".into()],
            custom_excerpt: Some("Then".into()),
            featured: true,
            ..Default::default()
        };
        let changes = older.changes_from(&current);
        assert_eq!(
            changes,
            [
                FieldChange {
                    field: "Excerpt",
                    current: String::new(),
                    revision: "Then".into()
                },
                FieldChange {
                    field: "Tags",
                    current: "a, b".into(),
                    revision: "a".into()
                },
            ]
        );
    }
}
