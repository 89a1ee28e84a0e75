//! The JSON the site sends and serves: its posts as `Article`s and the activities around
//! them. Every URL here is absolute, on the site's address.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::activitypub::{CONTEXT, PUBLIC};
use crate::render::feeds::escape;
use crate::render::markdown::absolutize;
use crate::render::views::{absolute, rfc3339};
use crate::store::posts::PublicPost;

/// Where the actor lives; its inbox, outbox and followers are beside it.
pub const ACTOR_PATH: &str = "/activitypub/actor";
/// Where a post's `Article` lives by its id (its page's URL serves it too).
pub const OBJECTS_PATH: &str = "/activitypub/objects";
/// Where the activities the site sent live.
pub const ACTIVITIES_PATH: &str = "/activitypub/activities";
/// The inbox servers deliver to for all their accounts at once.
pub const SHARED_INBOX_PATH: &str = "/activitypub/inbox";

/// The site's ActivityPub URLs, from its address.
#[derive(Debug, Clone)]
pub struct Urls<'a> {
    pub site: &'a str,
}

impl Urls<'_> {
    pub fn actor(&self) -> String {
        format!("{}{ACTOR_PATH}", self.site)
    }

    pub fn key_id(&self) -> String {
        format!("{}{ACTOR_PATH}#main-key", self.site)
    }

    pub fn followers(&self) -> String {
        format!("{}{ACTOR_PATH}/followers", self.site)
    }

    pub fn outbox(&self) -> String {
        format!("{}{ACTOR_PATH}/outbox", self.site)
    }

    pub fn object(&self, post: Uuid) -> String {
        format!("{}{OBJECTS_PATH}/{}", self.site, post.as_hyphenated())
    }

    pub fn activity(&self, id: Uuid) -> String {
        format!("{}{ACTIVITIES_PATH}/{}", self.site, id.as_hyphenated())
    }

    pub fn post_page(&self, slug: &str) -> String {
        format!("{}/{slug}/", self.site)
    }

    /// The post an object URL of the site names: `/activitypub/objects/ID` or a post's page
    /// `/slug/` (with or without the trailing slash). `None` for anything else.
    pub fn named_post(&self, url: &str) -> Option<PostRef> {
        let path = url.strip_prefix(self.site)?;
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if let Some(id) = path
            .strip_prefix(OBJECTS_PATH)
            .and_then(|p| p.strip_prefix('/'))
        {
            return Uuid::parse_str(id.trim_end_matches('/'))
                .ok()
                .map(PostRef::Id);
        }
        let slug = path.strip_prefix('/')?.trim_end_matches('/');
        let plain = !slug.is_empty() && !slug.contains('/');
        plain.then(|| PostRef::Slug(slug.to_owned()))
    }
}

/// A post as an object URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostRef {
    Id(Uuid),
    Slug(String),
}

/// The contexts of what the site sends: ActivityStreams, and the one term Mastodon adds that
/// posts use (`Hashtag`).
pub fn context() -> Value {
    json!([CONTEXT, {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}])
}

/// A tag's name as a hashtag: its letters and digits (`Rust Tips` → `#RustTips`).
fn hashtag(name: &str) -> Option<String> {
    let word: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then(|| format!("#{word}"))
}

/// A published post as an `Article`: its whole HTML with links and images made absolute,
/// the feature image first, public tags as hashtags; addressed to everyone, copied to the
/// followers. With `as_note`, a `Note` instead, as the site may choose: the title, the excerpt
/// and the link, which every fediverse app shows whole (some show an `Article` as a link only).
pub fn article(urls: &Urls<'_>, post: &PublicPost, as_note: bool) -> Value {
    let page = urls.post_page(&post.slug);
    let base = url::Url::parse(&page).ok();
    let mut content = String::new();
    if let (Some(image), false) = (&post.feature_image, as_note) {
        content.push_str(&format!(
            r#"<p><img src="{}" alt="{}"></p>"#,
            escape(&absolute(urls.site, image)),
            escape(post.feature_image_alt.as_deref().unwrap_or("")),
        ));
    }
    if as_note {
        content = format!(
            r#"<p><strong>{}</strong></p><p>{}</p><p><a href="{page}">{page}</a></p>"#,
            escape(&post.title),
            escape(&post.summary),
            page = escape(&page),
        );
    } else {
        match &base {
            Some(base) => content.push_str(&absolutize(&post.html, base)),
            None => content.push_str(&post.html),
        }
    }
    let tags: Vec<Value> = post
        .tags
        .iter()
        .filter(|t| t.is_public())
        .filter_map(|t| {
            hashtag(&t.name).map(|name| {
                json!({"type": "Hashtag", "name": name,
                       "href": format!("{}/tag/{}/", urls.site, t.slug)})
            })
        })
        .collect();
    let mut article = json!({
        "id": urls.object(post.id),
        "type": "Article",
        "attributedTo": urls.actor(),
        "name": post.title,
        "summary": escape(&post.summary),
        "content": content,
        "mediaType": "text/html",
        "url": page,
        "published": rfc3339(post.published_at),
        "updated": rfc3339(post.updated_at.max(post.published_at)),
        "to": [PUBLIC],
        "cc": [urls.followers()],
        "tag": tags,
    });
    if let Some(image) = &post.feature_image {
        let url = absolute(urls.site, image);
        article["image"] = json!({"type": "Image", "url": url});
        if as_note {
            article["attachment"] = json!([{
                "type": "Image",
                "url": url,
                "name": post.feature_image_alt.as_deref().unwrap_or(""),
            }]);
        }
    }
    if as_note {
        article["type"] = json!("Note");
        if let Some(fields) = article.as_object_mut() {
            fields.remove("name");
        }
    }
    article
}

/// An activity of the site's actor about `object`, addressed as posts are.
pub fn activity(urls: &Urls<'_>, id: Uuid, verb: &str, object: Value, at: DateTime<Utc>) -> Value {
    json!({
        "@context": context(),
        "id": urls.activity(id),
        "type": verb,
        "actor": urls.actor(),
        "published": rfc3339(at),
        "to": [PUBLIC],
        "cc": [urls.followers()],
        "object": object,
    })
}

/// What a withdrawn post leaves: a `Tombstone` with its id.
pub fn tombstone(urls: &Urls<'_>, post: Uuid) -> Value {
    json!({"id": urls.object(post), "type": "Tombstone"})
}

/// The answer to a `Follow`: `Accept` with the follow as it came, to the follower only.
pub fn accept(urls: &Urls<'_>, id: Uuid, follow: &Value, follower: &str) -> Value {
    let follow = json!({
        "id": follow.get("id"),
        "type": "Follow",
        "actor": follower,
        "object": urls.actor(),
    });
    json!({
        "@context": CONTEXT,
        "id": urls.activity(id),
        "type": "Accept",
        "actor": urls.actor(),
        "to": [follower],
        "object": follow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_urls_name_posts_by_id_or_page() {
        let urls = Urls {
            site: "https://blog.example",
        };
        let id = Uuid::parse_str("0b7c3b5e-9d0a-4f43-9c1e-6f0a1b2c3d4e").unwrap();
        assert_eq!(urls.named_post(&urls.object(id)), Some(PostRef::Id(id)));
        assert_eq!(
            urls.named_post("https://blog.example/hello-world/"),
            Some(PostRef::Slug("hello-world".into()))
        );
        assert_eq!(
            urls.named_post("https://blog.example/hello-world"),
            Some(PostRef::Slug("hello-world".into()))
        );
        assert_eq!(urls.named_post("https://blog.example/tag/rust/"), None);
        assert_eq!(urls.named_post("https://blog.example/"), None);
        assert_eq!(
            urls.named_post("https://elsewhere.example/hello-world/"),
            None
        );
        assert_eq!(urls.named_post("https://blog.example.evil/hello/"), None);
    }

    fn post() -> PublicPost {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        PublicPost {
            id: Uuid::nil(),
            feed_guid: None,
            kind: crate::domain::post::PostType::Post,
            slug: "hello".into(),
            title: "Fish & <chips>".into(),
            html: r#"<p>See <a href="/about/">about</a>.</p>"#.into(),
            summary: "See about.".into(),
            feature_image: Some("/content/images/fish.jpg".into()),
            feature_image_alt: Some("A fish".into()),
            feature_image_caption: None,
            featured: false,
            meta_title: None,
            meta_description: None,
            canonical_url: None,
            codeinjection_head: None,
            codeinjection_foot: None,
            word_count: 2,
            reading_time: 1,
            published_at: at,
            updated_at: at,
            tags: sqlx::types::Json(vec![]),
            authors: sqlx::types::Json(vec![]),
        }
    }

    #[test]
    fn a_post_goes_out_whole_as_an_article_or_as_a_note_with_its_link() {
        let urls = Urls {
            site: "https://blog.example",
        };
        let article = article(&urls, &post(), false);
        assert_eq!(article["type"], "Article");
        assert_eq!(article["name"], "Fish & <chips>");
        let content = article["content"].as_str().unwrap();
        assert!(
            content.contains(r#"href="https://blog.example/about/""#),
            "{content}"
        );
        assert!(content.contains("https://blog.example/content/images/fish.jpg"));
        let note = super::article(&urls, &post(), true);
        assert_eq!(note["type"], "Note");
        assert!(note.get("name").is_none());
        assert_eq!(
            note["content"],
            r#"<p><strong>Fish &amp; &lt;chips&gt;</strong></p><p>See about.</p><p><a href="https://blog.example/hello/">https://blog.example/hello/</a></p>"#
        );
        assert_eq!(note["attachment"][0]["name"], "A fish");
        assert_eq!(note["url"], "https://blog.example/hello/");
    }

    #[test]
    fn tags_become_hashtags_of_their_letters() {
        assert_eq!(hashtag("Rust Tips").as_deref(), Some("#RustTips"));
        assert_eq!(hashtag("C++").as_deref(), Some("#C"));
        assert_eq!(hashtag("日本語").as_deref(), Some("#日本語"));
        assert_eq!(hashtag("—"), None);
    }
}
