//! Full-text search as readers and writers use it: any word of any post, stemmed, ranked
//! title first, with escaped and marked snippets, drafts kept from readers, changes found on
//! every replica, and text in any script.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestDb, converges};

async fn post(app: &TestApp, admin: &Session, title: &str, markdown: &str, status: &str) -> Value {
    let (code, post) = app
        .api(
            Method::POST,
            "/posts",
            Some(admin),
            Some(json!({"title": title, "markdown": markdown, "status": status, "tags": ["Field notes"]})),
        )
        .await;
    assert_eq!(code, 201, "{post}");
    post
}

/// The links of a search page that follow `marker` (which ends in `href="`), in order: each
/// one's address and text.
fn anchors(page: &str, marker: &str) -> Vec<(String, String)> {
    page.split(marker)
        .skip(1)
        .map(|rest| {
            let (url, text) = rest.split_once("\">").unwrap();
            (
                url.to_owned(),
                text.split_once("</a>").unwrap().0.to_owned(),
            )
        })
        .collect()
}

const RESULT: &str = "class=\"search-result-title\"><a href=\"";
const TAG: &str = "class=\"search-result-tag\" href=\"";

/// The titles a search page lists, in order.
fn titles(page: &str) -> Vec<String> {
    anchors(page, RESULT)
        .into_iter()
        .map(|(_, title)| title)
        .collect()
}

async fn search(app: &TestApp, q: &str) -> String {
    let url = format!(
        "/search/?{}",
        serde_urlencoded::to_string([("q", q)]).unwrap()
    );
    let response = app.get(&url).await;
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn readers_find_any_word_stemmed_ranked_and_safely_marked() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    post(
        &app,
        &admin,
        "Morning routine",
        "Every day I went running along the river, then breakfast.",
        "published",
    )
    .await;
    post(
        &app,
        &admin,
        "Runs and races",
        "A season of competitions, told week by week.",
        "published",
    )
    .await;
    post(
        &app,
        &admin,
        "Unsafe input",
        "Never paste <script>alert('x')</script> or `<img onerror=alert(1)>` into a page \
         you are running.",
        "published",
    )
    .await;
    post(
        &app,
        &admin,
        "Secret plans",
        "Running a marathon, not announced yet.",
        "draft",
    )
    .await;

    // stemming: `run` finds runs, running; the title hit first; the draft never
    let page = search(&app, "run").await;
    assert_eq!(
        titles(&page),
        ["Runs and races", "Unsafe input", "Morning routine"],
        "{page}"
    );
    assert!(page.contains("3 results"), "{page}");
    assert!(!page.contains("Secret plans"));
    // the matching passage, marked, and nothing the post's text could inject
    assert!(page.contains("<mark>running</mark>"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img onerror"), "{page}");
    // phrases, exclusions and `or`
    assert_eq!(
        titles(&search(&app, "\"along the river\"").await),
        ["Morning routine"]
    );
    assert_eq!(
        titles(&search(&app, "running -river").await),
        ["Runs and races", "Unsafe input"]
    );
    // a title that matches, of a post whose text holds the word left out
    assert_eq!(
        titles(&search(&app, "run -competitions").await),
        ["Unsafe input", "Morning routine"]
    );
    assert_eq!(
        titles(&search(&app, "breakfast or competitions").await),
        ["Runs and races", "Morning routine"]
    );
    // the last word is a prefix while it is typed (the suggestions), not once submitted
    let typed: Value = app.get("/search.json?q=compet").await.json().await.unwrap();
    assert_eq!(typed["results"][0]["title"], "Runs and races", "{typed}");
    assert!(titles(&search(&app, "compet").await).is_empty());
    // tags are searched too, and nothing found says what to try
    assert_eq!(titles(&search(&app, "field notes").await).len(), 3);
    let none = search(&app, "zebra").await;
    assert!(none.contains("Nothing matches “zebra”"), "{none}");
    // a search that only leaves words out would list nearly every post: it finds nothing
    let excluding = search(&app, "-river").await;
    assert!(titles(&excluding).is_empty(), "{excluding}");
    assert!(excluding.contains("Nothing matches"), "{excluding}");
    // works without JavaScript: the header's form is a plain GET to /search/
    let home = app.page("/").await;
    assert!(home.contains("action=\"/search/\""), "{home}");

    // the suggestions' JSON
    let response = app.get("/search.json?q=race").await;
    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["results"][0]["title"], "Runs and races", "{json}");
    assert_eq!(json["results"][0]["url"], "/runs-and-races/");

    // writers search drafts too, with the passage
    let (_, list) = app
        .api(Method::GET, "/posts?q=marathon", Some(&admin), None)
        .await;
    let posts = list["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "{list}");
    assert_eq!(posts[0]["title"], "Secret plans");
    assert!(
        posts[0]["snippet"]
            .as_str()
            .unwrap()
            .contains("\u{E000}marathon\u{E001}"),
        "{list}"
    );
}

#[tokio::test]
async fn results_come_ten_a_page_newest_first_with_the_next_page_linked() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    for i in 1..=12 {
        post(
            &app,
            &admin,
            &format!("Lighthouse log {i:02}"),
            "The lamp turned all night.",
            "published",
        )
        .await;
    }
    let first = search(&app, "lighthouse").await;
    let expected: Vec<String> = (3..=12)
        .rev()
        .map(|i| format!("Lighthouse log {i:02}"))
        .collect();
    assert_eq!(titles(&first), expected, "{first}");
    assert!(first.contains("More than 10 results"), "{first}");
    assert!(first.contains("rel=\"next\""), "{first}");
    let second = app.page("/search/?q=lighthouse&page=2").await;
    assert_eq!(
        titles(&second),
        ["Lighthouse log 02", "Lighthouse log 01"],
        "{second}"
    );
    assert!(second.contains("12 results"), "{second}");
}

/// The links a search page shows: each result's address, and each result's tags (name and
/// address).
fn links(page: &str) -> (Vec<String>, Vec<(String, String)>) {
    let results = anchors(page, RESULT)
        .into_iter()
        .map(|(url, _)| url)
        .collect();
    let tags = anchors(page, TAG)
        .into_iter()
        .map(|(url, name)| (name, url))
        .collect();
    (results, tags)
}

#[tokio::test]
async fn results_show_the_post_and_its_public_tags_as_they_are_now() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    let (code, tag) = app
        .api(
            Method::POST,
            "/tags",
            Some(&admin),
            Some(json!({"name": "Burrows"})),
        )
        .await;
    assert_eq!(code, 201, "{tag}");
    let (code, written) = app
        .api(
            Method::POST,
            "/posts",
            Some(&admin),
            Some(
                json!({"title": "Wombat homes", "markdown": "A wombat digs.",
                        "status": "published", "tags": ["Burrows", "Field notes", "#later"]}),
            ),
        )
        .await;
    assert_eq!(code, 201, "{written}");
    let pair = |name: &str, url: &str| (name.to_owned(), url.to_owned());
    assert_eq!(
        links(&search(&app, "wombat").await),
        (
            vec!["/wombat-homes/".to_owned()],
            vec![
                pair("Burrows", "/tag/burrows/"),
                pair("Field notes", "/tag/field-notes/")
            ]
        ),
        "the post's link and its public tags, in its order"
    );
    // the post moved to another address with its tags in another order; a tag renamed and
    // given another address
    let (code, edited) = app
        .api(
            Method::PUT,
            &format!("/posts/{}", written["id"].as_str().unwrap()),
            Some(&admin),
            Some(
                json!({"slug": "wombat-burrows", "tags": ["Field notes", "Burrows", "#later"],
                        "version": written["version"]}),
            ),
        )
        .await;
    assert_eq!(code, 200, "{edited}");
    let (code, renamed) = app
        .api(
            Method::PUT,
            &format!("/tags/{}", tag["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"name": "Dens", "slug": "dens"})),
        )
        .await;
    assert_eq!(code, 200, "{renamed}");
    converges(
        "results showing the post and its tags as they are",
        || async {
            links(&search(&app, "wombat").await)
                == (
                    vec!["/wombat-burrows/".to_owned()],
                    vec![
                        pair("Field notes", "/tag/field-notes/"),
                        pair("Dens", "/tag/dens/"),
                    ],
                )
        },
    )
    .await;
}

#[tokio::test]
async fn a_change_is_found_on_another_replica_within_a_second() {
    let db = TestDb::new().await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let admin = a.signed_in("administrator").await;
    assert!(
        titles(&search(&b, "kangaroo").await).is_empty(),
        "cached: nothing"
    );
    let written = post(
        &a,
        &admin,
        "Down under",
        "A kangaroo crossed the road.",
        "published",
    )
    .await;
    converges("the new post in another replica's search", || async {
        titles(&search(&b, "kangaroo").await) == ["Down under"]
    })
    .await;
    // unpublished: gone from results everywhere
    let (code, _) = a
        .api(
            Method::PUT,
            &format!("/posts/{}", written["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"status": "draft", "version": written["version"]})),
        )
        .await;
    assert_eq!(code, 200);
    converges("the unpublished post gone from search", || async {
        titles(&search(&b, "kangaroo").await).is_empty()
    })
    .await;
}

#[tokio::test]
async fn accents_and_cjk_text_are_found_with_the_sites_language() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let admin = app.signed_in("administrator").await;
    post(
        &app,
        &admin,
        "Crème brûlée",
        "Une recette de café et de crème.",
        "published",
    )
    .await;
    post(
        &app,
        &admin,
        "東京の天気",
        "今日の東京は晴れです。",
        "published",
    )
    .await;
    assert_eq!(titles(&search(&app, "brûlée").await), ["Crème brûlée"]);
    // a word in the middle of a Japanese sentence, with the `simple` configuration
    let (code, _) = app
        .api(
            Method::PUT,
            "/settings",
            Some(&admin),
            Some(json!({"lang": "ja"})),
        )
        .await;
    assert_eq!(code, 200);
    let found = |q: &'static str| {
        let app = &app;
        async move { titles(&search(app, q).await) }
    };
    converges("the site's language in search", || async {
        found("晴れ").await == ["東京の天気"]
    })
    .await;
    assert_eq!(found("天気").await, ["東京の天気"]);
    // the characters found are marked in the passage shown
    let page = search(&app, "晴れ").await;
    assert!(page.contains("<mark>晴</mark><mark>れ</mark>"), "{page}");
    assert!(found("大阪").await.is_empty());
    let config: String = sqlx::query_scalar("select quire_search_config()::text")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(config, "simple");
}

#[tokio::test]
async fn searches_the_cache_cannot_answer_are_limited_per_address() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    for i in 0..quire::http::search::MAX_SEARCHES {
        assert_eq!(app.get(&format!("/search/?q=word{i}")).await.status(), 200);
    }
    let refused = app.get("/search/?q=one+more").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    // what the cache holds is still answered, and costs nothing
    assert_eq!(app.get("/search/?q=word1").await.status(), 200);
}

/// A word of 135 letters: with its neighbour, longer than a pair the index holds.
macro_rules! long_word {
    () => {
        "pneumonoultramicroscopicsilicovolcanoconiosis\
         pneumonoultramicroscopicsilicovolcanoconiosis\
         pneumonoultramicroscopicsilicovolcanoconiosis"
    };
}

#[tokio::test]
async fn phrases_in_older_posts_are_found_through_their_pairs_of_words() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    // older posts than the 500 newest a search walks through first: found in the indexes,
    // among the posts holding the phrase's pairs of words
    let old = [
        (
            "Pilot boats",
            "The harbour pilot steered the ship in at dawn.",
        ),
        ("Apart", "A harbour, and later that day a pilot."),
        ("Keepers", "Each lamp keeper wrote the log by hand."),
        ("Weather", "今日の東京は晴れです。"),
        ("Pilot harbour", "Our pilot harbour lies north."),
        (
            "Long words",
            concat!(long_word!(), " dust, too long a pair to index."),
        ),
    ];
    for (i, (title, text)) in old.iter().enumerate() {
        sqlx::query(
            "insert into posts (slug, title, markdown, html, status, published_at) \
             values ($1, $2, $3, $4, 'published', '2001-01-01'::timestamptz + $5 * interval '1 day')",
        )
        .bind(format!("old-{i}"))
        .bind(title)
        .bind(text)
        .bind(format!("<p>{text}</p>"))
        .bind(i as i32)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "insert into posts (slug, title, markdown, html, status, published_at) \
         select 'new-' || g, 'Newer ' || g, 'Harbour news and pilot rosters.', \
                '<p>Harbour news and pilot rosters, keeper lamp.</p>', 'published', \
                now() - g * interval '1 hour' \
         from generate_series(1, 520) g",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let found = |q: &'static str| {
        let app = &app;
        async move { titles(&search(app, q).await) }
    };
    // the words side by side, in this order; not apart, not the other way round
    assert_eq!(found("\"harbour pilot\"").await, ["Pilot boats"]);
    assert_eq!(found("\"pilot harbour\"").await, ["Pilot harbour"]);
    assert_eq!(
        found("\"harbour pilot\" or \"lamp keeper\"").await,
        ["Keepers", "Pilot boats"]
    );
    assert_eq!(found("\"harbour pilot\" -dawn").await, Vec::<String>::new());
    // with other words beside the phrase: the posts holding both
    assert_eq!(found("\"harbour pilot\" dawn").await, ["Pilot boats"]);
    assert!(found("\"harbour pilot\" keeper").await.is_empty());
    assert!(found("\"harbour pilot\" zzyzx").await.is_empty());
    // a phrase of an older post's title: found through the pairs of its heading
    assert_eq!(found("\"pilot boats\"").await, ["Pilot boats"]);
    // words of CJK text are phrases of their characters
    assert_eq!(found("東京").await, ["Weather"]);
    assert!(found("京東").await.is_empty());
    // a phrase with a word too long for its pair to be indexed: found without that pair
    assert_eq!(
        found(concat!("\"", long_word!(), " dust\"")).await,
        ["Long words"]
    );
    // a phrase with stop words between: the words, at their distance
    assert_eq!(found("\"pilot steered the ship\"").await, ["Pilot boats"]);
}
