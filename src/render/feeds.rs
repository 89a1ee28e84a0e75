//! Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, written with the `rss` and `atom_syndication`
//! crates (and serde for JSON), from the same posts.
//!
//! Everything in a feed derives from the content: `updated` is the newest post's update time,
//! never the time of rendering, so every replica writes the same bytes.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use url::Url;

use crate::domain::limits::clamp_date;
use crate::render::markdown::absolutize;
use crate::render::views::{absolute, rfc2822, rfc3339};
use crate::store::posts::PublicPost;

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedInfo {
    pub title: String,
    /// The site's title: the author of entries whose post has none (an Atom entry needs one).
    pub site_title: String,
    pub description: String,
    pub lang: String,
    /// Absolute origin of the site, no trailing slash.
    pub site_url: String,
    /// The HTML page this feed follows (home, tag or author archive), absolute.
    pub home_url: String,
    /// This feed's own URL, absolute.
    pub self_url: String,
}

/// The newest update among the posts; the epoch for an empty feed, so it is still the same
/// on every replica.
pub fn updated(posts: &[PublicPost]) -> DateTime<Utc> {
    posts
        .iter()
        .map(|p| p.updated_at.max(p.published_at))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A post's HTML as a feed carries it: links and images absolute, feature image first.
fn content(info: &FeedInfo, post: &PublicPost) -> String {
    let url = post_url(info, post);
    let base =
        Url::parse(&url).unwrap_or_else(|_| Url::parse("http://invalid/").expect("valid URL"));
    let mut html = String::new();
    if let Some(image) = &post.feature_image {
        let alt = post.feature_image_alt.as_deref().unwrap_or("");
        html.push_str(&format!(
            r#"<img src="{}" alt="{}">"#,
            escape(&absolute(&info.site_url, image)),
            escape(alt)
        ));
    }
    html.push_str(&absolutize(&post.html, &base));
    html
}

/// The id of a post's items: the old site's feed id when an import kept one (Ghost's post
/// id), so readers that followed the old site see no post twice; otherwise Quire's uuid.
fn item_id(post: &PublicPost) -> String {
    match &post.feed_guid {
        Some(guid) => guid.clone(),
        None => post.id.to_string(),
    }
}

/// The Atom `id` of a post's entry, which must be an IRI: `urn:uuid:...` for Quire's ids,
/// and a URN of the feed id an import kept otherwise (Ghost had no Atom feed to match).
fn atom_id(post: &PublicPost) -> String {
    match &post.feed_guid {
        Some(guid) => format!("urn:quire:guid:{}", url_escape(guid)),
        None => format!("urn:uuid:{}", post.id),
    }
}

/// Percent-encodes what cannot stand in a URN as it is.
fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn post_url(info: &FeedInfo, post: &PublicPost) -> String {
    format!("{}/{}/", info.site_url, post.slug)
}

/// Text and attribute values (in double quotes) in HTML and XML: `&`, `"`, `<` and `>`
/// escaped, nothing else (a URL keeps its slashes).
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn public_tags(post: &PublicPost) -> impl Iterator<Item = &str> {
    post.tags
        .iter()
        .filter(|t| t.is_public())
        .map(|t| t.name.as_str())
}

/// Media RSS, which Ghost's feeds (and the readers that show a post's picture) use for
/// feature images.
const MEDIA_NAMESPACE: &str = "http://search.yahoo.com/mrss/";

/// `<media:content url="..." medium="image"/>` for a post's feature image, as Ghost writes it.
fn media_content(info: &FeedInfo, post: &PublicPost) -> rss::extension::ExtensionMap {
    use rss::extension::Extension;

    let mut map = rss::extension::ExtensionMap::new();
    if let Some(image) = &post.feature_image {
        let content = Extension {
            name: "media:content".to_owned(),
            attrs: [
                ("url".to_owned(), absolute(&info.site_url, image)),
                ("medium".to_owned(), "image".to_owned()),
            ]
            .into(),
            ..Default::default()
        };
        map.entry("media".to_owned())
            .or_default()
            .insert("content".to_owned(), vec![content]);
    }
    map
}

/// RSS 2.0 with `content:encoded`, `dc:creator`, `media:content` for feature images and
/// `atom:link rel="self"`.
pub fn rss(info: &FeedInfo, posts: &[PublicPost]) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::extension::dublincore::DublinCoreExtension;
    use rss::{Category, Channel, Guid, Item};

    let items = posts
        .iter()
        .map(|post| Item {
            title: Some(post.title.clone()),
            link: Some(post_url(info, post)),
            // RSS readers take `description` as HTML: the plain-text excerpt is escaped, so
            // `<script>` in it (or HTML shown in inline code) stays text
            description: Some(escape(&post.summary)),
            guid: Some(Guid {
                value: item_id(post),
                permalink: false,
            }),
            pub_date: Some(rfc2822(post.published_at)),
            categories: public_tags(post)
                .map(|name| Category {
                    name: name.to_owned(),
                    domain: None,
                })
                .collect(),
            content: Some(content(info, post)),
            dublin_core_ext: (!post.authors.is_empty()).then(|| DublinCoreExtension {
                creators: post.authors.iter().map(|a| a.name.clone()).collect(),
                ..Default::default()
            }),
            extensions: media_content(info, post),
            ..Default::default()
        })
        .collect();
    let channel = Channel {
        namespaces: [("media".to_owned(), MEDIA_NAMESPACE.to_owned())].into(),
        title: info.title.clone(),
        link: info.home_url.clone(),
        description: escape(&info.description),
        language: Some(info.lang.clone()),
        generator: Some("Quire".to_owned()),
        last_build_date: (!posts.is_empty()).then(|| rfc2822(updated(posts))),
        ttl: Some("60".to_owned()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: info.self_url.clone(),
                rel: "self".to_owned(),
                mime_type: Some("application/rss+xml".to_owned()),
                ..Default::default()
            }],
        }),
        items,
        ..Default::default()
    };
    channel.to_string()
}

/// Atom 1.0.
pub fn atom(info: &FeedInfo, posts: &[PublicPost]) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text};

    let fixed = |t: DateTime<Utc>| -> DateTime<FixedOffset> { clamp_date(t).fixed_offset() };
    let link = |href: &str, rel: &str, mime: &str| Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime.to_owned()),
        ..Default::default()
    };
    let entries = posts
        .iter()
        .map(|post| Entry {
            title: Text::plain(post.title.clone()),
            id: atom_id(post),
            updated: fixed(post.updated_at.max(post.published_at)),
            published: Some(fixed(post.published_at)),
            authors: if post.authors.is_empty() {
                // an Atom entry without an author is invalid (the welcome content of a fresh
                // install, posts whose authors were removed): the site speaks for them
                vec![Person {
                    name: info.site_title.clone(),
                    uri: Some(format!("{}/", info.site_url)),
                    ..Default::default()
                }]
            } else {
                post.authors
                    .iter()
                    .map(|a| Person {
                        name: a.name.clone(),
                        uri: Some(format!("{}/author/{}/", info.site_url, a.slug)),
                        ..Default::default()
                    })
                    .collect()
            },
            categories: public_tags(post)
                .map(|name| Category {
                    term: name.to_owned(),
                    ..Default::default()
                })
                .collect(),
            links: vec![link(&post_url(info, post), "alternate", "text/html")],
            summary: Some(Text::plain(post.summary.clone())),
            content: Some(Content {
                value: Some(content(info, post)),
                content_type: Some("html".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let feed = Feed {
        title: Text::plain(info.title.clone()),
        id: info.self_url.clone(),
        updated: fixed(updated(posts)),
        subtitle: (!info.description.is_empty()).then(|| Text::plain(info.description.clone())),
        generator: Some(Generator {
            value: "Quire".to_owned(),
            ..Default::default()
        }),
        links: vec![
            link(&info.home_url, "alternate", "text/html"),
            link(&info.self_url, "self", "application/atom+xml"),
        ],
        lang: Some(info.lang.clone()),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_html: String,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<String>,
}

/// JSON Feed 1.1.
pub fn json_feed(info: &FeedInfo, posts: &[PublicPost]) -> String {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &info.title,
        home_page_url: &info.home_url,
        feed_url: &info.self_url,
        description: &info.description,
        language: &info.lang,
        items: posts
            .iter()
            .map(|post| JsonItem {
                id: item_id(post),
                url: post_url(info, post),
                title: post.title.clone(),
                content_html: content(info, post),
                summary: post.summary.clone(),
                image: post
                    .feature_image
                    .as_deref()
                    .map(|i| absolute(&info.site_url, i)),
                date_published: rfc3339(post.published_at),
                date_modified: rfc3339(post.updated_at.max(post.published_at)),
                authors: post
                    .authors
                    .iter()
                    .map(|a| JsonAuthor {
                        name: a.name.clone(),
                        url: format!("{}/author/{}/", info.site_url, a.slug),
                        avatar: a.avatar_url.as_deref().map(|u| absolute(&info.site_url, u)),
                    })
                    .collect(),
                tags: public_tags(post).map(str::to_owned).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}
