use super::format::*;
use super::*;

fn t(s: &str, f: u32) -> Inline {
    Inline::Text(s.into(), f)
}

#[test]
fn formats_nest_and_whitespace_moves_outside_the_delimiters() {
    let md = inlines(&[
        t("a ", 0),
        t("b ", BOLD),
        t("c", BOLD | ITALIC),
        t(" d", BOLD),
        t(" e", 0),
    ]);
    assert_eq!(md, "a **b _c_ d** e");
}

#[test]
fn emphasis_inside_a_word_is_written_as_html() {
    assert_eq!(
        inlines(&[t("un", 0), t("believ", BOLD), t("able", 0)]),
        "un<strong>believ</strong>able"
    );
    assert_eq!(inlines(&[t("(", 0), t("x", ITALIC), t(")", 0)]), "(_x_)");
}

#[test]
fn marks_without_markdown_syntax_are_tags() {
    assert_eq!(
        inlines(&[
            t("H", 0),
            t("2", SUBSCRIPT),
            t("O ", 0),
            t("x", UNDERLINE | STRIKETHROUGH),
            t(" e=mc", 0),
            t("2", SUPERSCRIPT),
            t(" ", 0),
            t("hi", HIGHLIGHT),
        ]),
        "H<sub>2</sub>O ~~<u>x</u>~~ e=mc<sup>2</sup> <mark>hi</mark>"
    );
}

#[test]
fn code_spans_hold_backticks_and_no_escapes() {
    assert_eq!(inlines(&[t("a*b", CODE)]), "`a*b`");
    assert_eq!(inlines(&[t("x ` y", CODE)]), "``x ` y``");
    assert_eq!(inlines(&[t("`tick", CODE)]), "`` `tick ``");
    assert_eq!(inlines(&[t("bold code", CODE | BOLD)]), "**`bold code`**");
}

#[test]
fn text_that_looks_like_markup_is_escaped() {
    assert_eq!(
        inlines(&[t("2 * 3 = 6, a_b, [x], <div>, a < b, &amp; & ~", 0)]),
        r"2 \* 3 = 6, a\_b, \[x\], \<div>, a < b, \&amp; & \~"
    );
    assert_eq!(inlines(&[t("# not a heading", 0)]), r"\# not a heading");
    assert_eq!(inlines(&[t("1. not a list", 0)]), r"1\. not a list");
    assert_eq!(inlines(&[t("- not a list", 0)]), r"\- not a list");
    assert_eq!(
        inlines(&[t("a", 0), Inline::Break, t("> b", 0)]),
        "a\\\n\\> b"
    );
}

#[test]
fn breaks_close_nothing_and_end_breaks_are_dropped() {
    assert_eq!(
        inlines(&[
            Inline::Break,
            t("a", BOLD),
            Inline::Break,
            t("b", 0),
            Inline::Break
        ]),
        "**a**\\\nb"
    );
}

#[test]
fn links_carry_their_common_format_outside() {
    let md = inlines(&[
        t("see ", BOLD),
        Inline::Link {
            url: "https://x.test/a b".into(),
            title: Some("T \"q\"".into()),
            children: vec![t("this", BOLD), t(" one", BOLD | ITALIC)],
        },
    ]);
    assert_eq!(
        md,
        r#"**see [this _one_](<https://x.test/a b> "T \"q\"")**"#
    );
}

#[test]
fn a_link_without_a_target_is_its_text() {
    let md = inlines(&[Inline::Link {
        url: " ".into(),
        title: None,
        children: vec![t("just ", 0), t("text", BOLD)],
    }]);
    assert_eq!(md, "just **text**");
}

#[test]
fn html_blocks_keep_no_blank_line_and_start_as_blocks() {
    assert_eq!(
        html_block("<div>\n<pre>a\n\n\nb</pre>\n</div>").unwrap(),
        "<div>\n<pre>a\n&#10;&#10;b</pre>\n</div>"
    );
    assert_eq!(
        html_block("<span>x</span>").unwrap(),
        "<div>\n<span>x</span>\n</div>"
    );
    assert_eq!(html_block("  \n "), None);
}

#[test]
fn lists_indent_continuations_and_same_kind_lists_stay_apart() {
    let nested = list(&[ListItem {
        marker: "-".into(),
        content: "inner".into(),
    }])
    .unwrap();
    let outer = list(&[
        ListItem {
            marker: "1.".into(),
            content: format!("one\n{nested}"),
        },
        ListItem {
            marker: "2.".into(),
            content: "two".into(),
        },
    ])
    .unwrap();
    assert_eq!(outer, "1. one\n   - inner\n2. two");
    assert_eq!(
        join_blocks(["- a".to_owned(), "- b".to_owned(), "text".to_owned()]),
        "- a\n\n<!-- -->\n\n- b\n\ntext"
    );
}

#[test]
fn headings_and_fences_survive_their_content() {
    assert_eq!(heading(2, "Issue #").unwrap(), r"## Issue \#");
    assert_eq!(heading(3, "  "), None);
    assert_eq!(
        code_block("a\n```\nb\n", Some("rust extra")),
        "````rust\na\n```\nb\n````"
    );
}
