//! The fediverse in PostgreSQL: the site's key pair, the accounts it heard from, its
//! followers, their likes, boosts and replies, and the activities it sends.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::domain::activitypub::{KeyPair, RemoteActor, generate_key_pair};

/// The job that sends one activity to one inbox.
pub const DELIVERY_JOB: &str = "activitypub.delivery";
/// The job that turns a post's change into an activity for every follower.
pub const PUBLISH_JOB: &str = "activitypub.publish";

/// The site's key pair, made the first time any replica asks: replicas that ask at once
/// each make one, and the first stored is everyone's.
pub async fn key_pair(db: &PgPool) -> anyhow::Result<KeyPair> {
    const READ: &str = "select private_key_pem, public_key_pem from activitypub_key";
    if let Some(pair) = sqlx::query_as(READ).fetch_optional(db).await? {
        return Ok(pair);
    }
    let made = tokio::task::spawn_blocking(generate_key_pair).await??;
    sqlx::query(
        "insert into activitypub_key (private_key_pem, public_key_pem) values ($1, $2) \
         on conflict (id) do nothing",
    )
    .bind(&made.private_key_pem)
    .bind(&made.public_key_pem)
    .execute(db)
    .await?;
    Ok(sqlx::query_as(READ).fetch_one(db).await?)
}

/// The account whose key is `key_id`, as last fetched, and how many seconds ago that was.
pub async fn actor_by_key(
    db: impl PgExecutor<'_>,
    key_id: &str,
) -> sqlx::Result<Option<(RemoteActor, f64)>> {
    #[derive(sqlx::FromRow)]
    struct Kept {
        #[sqlx(flatten)]
        actor: RemoteActor,
        age: f64,
    }
    let kept: Option<Kept> = sqlx::query_as(
        "select id, key_id, public_key_pem, inbox, shared_inbox, preferred_username, name, url, \
                icon, extract(epoch from now() - fetched_at)::float8 as age \
         from activitypub_actors where key_id = $1",
    )
    .bind(key_id)
    .fetch_optional(db)
    .await?;
    Ok(kept.map(|k| (k.actor, k.age)))
}

/// Keeps an account as just fetched (a new key replaces the old one).
pub async fn save_actor(db: impl PgExecutor<'_>, actor: &RemoteActor) -> sqlx::Result<()> {
    sqlx::query(
        "insert into activitypub_actors (id, key_id, public_key_pem, inbox, shared_inbox, \
                preferred_username, name, url, icon) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (id) do update set key_id = excluded.key_id, \
             public_key_pem = excluded.public_key_pem, inbox = excluded.inbox, \
             shared_inbox = excluded.shared_inbox, \
             preferred_username = excluded.preferred_username, name = excluded.name, \
             url = excluded.url, icon = excluded.icon, fetched_at = now()",
    )
    .bind(&actor.id)
    .bind(&actor.key_id)
    .bind(&actor.public_key_pem)
    .bind(&actor.inbox)
    .bind(&actor.shared_inbox)
    .bind(&actor.preferred_username)
    .bind(&actor.name)
    .bind(&actor.url)
    .bind(&actor.icon)
    .execute(db)
    .await?;
    Ok(())
}

/// Makes `actor` a follower through its `Follow` `follow_id` (a repeated Follow renews it).
pub async fn add_follower(
    db: impl PgExecutor<'_>,
    actor: &str,
    follow_id: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into activitypub_followers (actor_id, follow_id) values ($1, $2) \
         on conflict (actor_id) do update set follow_id = excluded.follow_id",
    )
    .bind(actor)
    .bind(follow_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends `actor`'s following; `follow_id`, when given, must be the Follow it undoes.
pub async fn remove_follower(
    db: impl PgExecutor<'_>,
    actor: &str,
    follow_id: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from activitypub_followers \
         where actor_id = $1 and ($2::text is null or follow_id = $2)",
    )
    .bind(actor)
    .bind(follow_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A like, boost or reply as received.
#[derive(Debug, Clone)]
pub struct NewInteraction<'a> {
    pub activity_id: &'a str,
    pub kind: &'static str,
    pub post_id: Uuid,
    pub actor_id: &'a str,
    pub object_id: Option<&'a str>,
    pub url: Option<&'a str>,
    pub content_html: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Keeps an interaction; one already kept (the same activity delivered again, or a second
/// like or boost of the same post by the same account) is left alone.
pub async fn add_interaction(
    db: impl PgExecutor<'_>,
    i: &NewInteraction<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into activitypub_interactions \
             (activity_id, kind, post_id, actor_id, object_id, url, content_html, published_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
    )
    .bind(i.activity_id)
    .bind(i.kind)
    .bind(i.post_id)
    .bind(i.actor_id)
    .bind(i.object_id)
    .bind(i.url)
    .bind(i.content_html)
    .bind(i.published_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Replaces the content of `actor`'s reply `object_id` (its `Update`).
pub async fn update_reply(
    db: impl PgExecutor<'_>,
    actor: &str,
    object_id: &str,
    content_html: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update activitypub_interactions set content_html = $3 \
         where actor_id = $1 and object_id = $2 and kind = 'reply'",
    )
    .bind(actor)
    .bind(object_id)
    .bind(content_html)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets what `actor` sent as `id`: a reply (by the note's id), or a like or boost (by the
/// activity's id, as `Undo` names it).
pub async fn remove_interaction(
    db: impl PgExecutor<'_>,
    actor: &str,
    id: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from activitypub_interactions \
         where actor_id = $1 and (activity_id = $2 or object_id = $2)",
    )
    .bind(actor)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets `actor`'s like or boost (`kind`) of a post, whichever activity made it.
pub async fn remove_reaction(
    db: impl PgExecutor<'_>,
    actor: &str,
    kind: &str,
    post: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from activitypub_interactions where actor_id = $1 and kind = $2 and post_id = $3",
    )
    .bind(actor)
    .bind(kind)
    .bind(post)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets an account that deleted itself: its following, its interactions and its key.
pub async fn forget_actor(db: impl PgExecutor<'_>, actor: &str) -> sqlx::Result<()> {
    sqlx::query(
        "with gone as (delete from activitypub_interactions where actor_id = $1) \
         delete from activitypub_actors where id = $1",
    )
    .bind(actor)
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps an activity the site sends, for its deliveries; answers its id.
pub async fn save_activity(db: impl PgExecutor<'_>, id: Uuid, body: &Value) -> sqlx::Result<()> {
    sqlx::query("insert into activitypub_activities (id, body) values ($1, $2)")
        .bind(id)
        .bind(body)
        .execute(db)
        .await?;
    Ok(())
}

/// Queues one delivery of `activity` to `inbox`.
pub async fn queue_delivery(
    db: impl PgExecutor<'_>,
    activity: Uuid,
    inbox: &str,
) -> sqlx::Result<()> {
    crate::store::jobs::enqueue(
        db,
        DELIVERY_JOB,
        &json!({"activity": activity, "inbox": inbox}),
    )
    .await?;
    Ok(())
}

/// Queues one delivery of `activity` to each inbox of the site's followers: a server's shared
/// inbox once for all its followers that have one, else each follower's own. Answers how many.
pub async fn queue_deliveries_to_followers(
    db: impl PgExecutor<'_>,
    activity: Uuid,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "insert into jobs (kind, payload) \
         select $1, jsonb_build_object('activity', $2::uuid, 'inbox', inbox) \
         from (select distinct coalesce(a.shared_inbox, a.inbox) as inbox \
               from activitypub_followers f join activitypub_actors a on a.id = f.actor_id) i \
         order by inbox",
    )
    .bind(DELIVERY_JOB)
    .bind(activity)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The bodies of the activities `ids`, as JSON text.
pub async fn activity_bodies(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as("select id, body::text from activitypub_activities where id = any($1)")
        .bind(ids)
        .fetch_all(db)
        .await
}

/// The inboxes among `inboxes` whose deliveries fail, and since when.
pub async fn failing_inboxes(
    db: impl PgExecutor<'_>,
    inboxes: &[&str],
) -> sqlx::Result<std::collections::HashMap<String, DateTime<Utc>>> {
    let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "select inbox, failing_since from activitypub_inboxes \
         where inbox = any($1) and failing_since is not null",
    )
    .bind(inboxes)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Records how deliveries to some inboxes went: `None` for success, else the error.
pub async fn record_inboxes(
    db: impl PgExecutor<'_>,
    outcomes: &[(String, Option<String>)],
) -> sqlx::Result<()> {
    let inboxes: Vec<&str> = outcomes.iter().map(|(i, _)| i.as_str()).collect();
    let errors: Vec<Option<&str>> = outcomes.iter().map(|(_, e)| e.as_deref()).collect();
    sqlx::query(
        "insert into activitypub_inboxes (inbox, failing_since, last_error) \
         select inbox, case when error is null then null else now() end, error \
         from (select distinct on (inbox) inbox, error \
               from unnest($1::text[], $2::text[]) as o(inbox, error) \
               order by inbox, error nulls first) o \
         order by inbox \
         on conflict (inbox) do update set \
             failing_since = case when excluded.last_error is null then null \
                                  else coalesce(activitypub_inboxes.failing_since, now()) end, \
             last_error = excluded.last_error",
    )
    .bind(&inboxes)
    .bind(&errors)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets activities sent more than 30 days ago (every delivery is over by then) and the
/// accounts heard from once and not since: neither following nor with a like, boost or
/// reply kept, fetched more than 30 days ago.
pub async fn forget_old(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "with sent as (delete from activitypub_activities \
                       where created_at < now() - interval '30 days') \
         delete from activitypub_actors a \
         where fetched_at < now() - interval '30 days' \
           and not exists (select 1 from activitypub_followers f where f.actor_id = a.id) \
           and not exists (select 1 from activitypub_interactions i where i.actor_id = a.id)",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// How many follow the site.
pub async fn follower_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from activitypub_followers")
        .fetch_one(db)
        .await
}

/// A follower as the admin lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Follower {
    pub id: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub icon: Option<String>,
    pub followed_at: DateTime<Utc>,
}

/// The site's followers, newest first.
pub async fn followers(
    db: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Follower>> {
    sqlx::query_as(
        "select a.id, a.preferred_username, a.name, a.url, a.icon, f.created_at as followed_at \
         from activitypub_followers f join activitypub_actors a on a.id = f.actor_id \
         order by f.created_at desc, a.id limit $1 offset $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// A like, boost or reply as the admin (and the site) shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Interaction {
    pub kind: String,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub actor_handle: Option<String>,
    pub actor_url: Option<String>,
    pub actor_icon: Option<String>,
    pub url: Option<String>,
    pub content_html: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The likes, boosts and replies of a post, oldest first.
pub async fn interactions(db: impl PgExecutor<'_>, post: Uuid) -> sqlx::Result<Vec<Interaction>> {
    sqlx::query_as(
        "select i.kind, i.actor_id, a.name as actor_name, \
                '@' || a.preferred_username || '@' || substring(a.id from '^https?://([^/]+)') \
                    as actor_handle, \
                coalesce(a.url, a.id) as actor_url, a.icon as actor_icon, i.url, i.content_html, \
                i.published_at, i.created_at \
         from activitypub_interactions i left join activitypub_actors a on a.id = i.actor_id \
         where i.post_id = $1 order by i.created_at, i.id limit 1000",
    )
    .bind(post)
    .fetch_all(db)
    .await
}
