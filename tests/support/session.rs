//! Staff accounts and signed-in sessions, as a browser or a script holds them.

use serde_json::{Value, json};
use sqlx::PgPool;

/// The password of every account the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in staff member: the cookie and CSRF token a browser would hold.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub user_id: uuid::Uuid,
}

impl Session {
    /// The session that an answer signing someone in (sign-in, setup, invitation, password
    /// reset) starts: its cookie and CSRF token.
    pub async fn from_answer(response: reqwest::Response) -> Self {
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
        }
    }
}

/// `POST /admin/api/session` on the site at `base`; the sign-in must succeed.
pub async fn sign_in(client: &reqwest::Client, base: &str, email: &str, password: &str) -> Session {
    let response = client
        .post(format!("{base}/admin/api/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "sign in as {email} at {base}");
    Session::from_answer(response).await
}

/// Calls the admin API of the site at `base` as `session` (or anonymously), with its CSRF
/// token; answers the status and the JSON body (`null` when there is none).
pub async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    base: &str,
    path: &str,
    session: Option<&Session>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, format!("{base}/admin/api{path}"));
    if let Some(session) = session {
        request = request
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The hash of [`PASSWORD`], computed once: argon2 is slow on purpose.
async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        quire::auth::hash_password(PASSWORD.to_owned())
            .await
            .unwrap()
    })
    .await
    .clone()
}

/// Creates an active staff account with `role` (`owner`, `editor`, ...) and [`PASSWORD`];
/// answers its email.
pub async fn create_staff(pool: &PgPool, role: &str) -> String {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    create_staff_as(pool, role, &format!("{role} {}", &tag[..4])).await
}

/// [`create_staff`] with the display name `name`.
pub async fn create_staff_as(pool: &PgPool, role: &str, name: &str) -> String {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("{role}-{}@example.com", &tag[..8]);
    sqlx::query("insert into users (email, name, slug, role, password_hash) values ($1, $2, $3, $4::user_role, $5)")
        .bind(&email)
        .bind(name)
        .bind(format!("{role}-{}", &tag[..8]))
        .bind(role)
        .bind(password_hash().await)
        .execute(pool)
        .await
        .expect("create staff");
    email
}
