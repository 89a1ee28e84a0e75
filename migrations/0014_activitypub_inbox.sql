-- The fediverse, second part: who follows the site, what they said about its posts, and the
-- activities the site sends them (see `src/federation/`).

-- Accounts on other servers that the site has heard from: fetched when one of them first signs
-- a request to the inbox, kept for their public key (signatures are checked against it) and
-- their inboxes (deliveries go there). Refetched when a signature does not verify with the key
-- kept, or after a day.
create table activitypub_actors (
    id                 text primary key check (char_length(id) between 1 and 2000),
    key_id             text not null unique check (char_length(key_id) between 1 and 2000),
    public_key_pem     text not null check (char_length(public_key_pem) <= 20000),
    inbox              text not null check (char_length(inbox) between 1 and 2000),
    shared_inbox       text check (char_length(shared_inbox) <= 2000),
    preferred_username text check (char_length(preferred_username) <= 200),
    name               text check (char_length(name) <= 500),
    url                text check (char_length(url) <= 2000),
    icon               text check (char_length(icon) <= 2000),
    fetched_at         timestamptz not null default now()
);

-- The site's followers: one row per account, with the `Follow` it sent (an `Undo` names it).
create table activitypub_followers (
    actor_id   text primary key references activitypub_actors (id) on delete cascade,
    follow_id  text not null check (char_length(follow_id) between 1 and 2000),
    created_at timestamptz not null default now()
);

-- Likes, boosts (`Announce`) and replies (`Create{Note}` in reply to a post), as received. A
-- reply's content is sanitised before it is stored here. The activity's id makes a repeated
-- delivery harmless; `object_id` is the reply's own id, which its `Update` and `Delete` name.
create table activitypub_interactions (
    id           bigint generated always as identity primary key,
    activity_id  text not null unique check (char_length(activity_id) between 1 and 2000),
    kind         text not null check (kind in ('like', 'announce', 'reply')),
    post_id      uuid not null references posts (id) on delete cascade,
    actor_id     text not null check (char_length(actor_id) between 1 and 2000),
    object_id    text check (char_length(object_id) <= 2000),
    url          text check (char_length(url) <= 2000),
    content_html text check (char_length(content_html) <= 100000),
    published_at timestamptz,
    created_at   timestamptz not null default now()
);
create index activitypub_interactions_post_idx
    on activitypub_interactions (post_id, kind, created_at);
create index activitypub_interactions_object_idx
    on activitypub_interactions (object_id) where object_id is not null;
create index activitypub_interactions_actor_idx on activitypub_interactions (actor_id);
-- one like and one boost per account and post, however many activities say it again
create unique index activitypub_interactions_once_idx
    on activitypub_interactions (post_id, actor_id, kind) where kind in ('like', 'announce');

-- Posts the site has announced with `Create`: only these get `Update` and `Delete` (an
-- imported back catalogue is not announced; its edits are not sent either).
create table activitypub_posts (
    post_id    uuid primary key,
    created_at timestamptz not null default now()
);

-- Each activity the site sends, once, however many inboxes get it: a delivery job names it
-- and its inbox.
create table activitypub_activities (
    id         uuid primary key default gen_random_uuid(),
    body       jsonb not null,
    created_at timestamptz not null default now()
);

-- Due jobs by kind: a post to many followers queues thousands of deliveries at once, which
-- the other workers (webhooks, publishing) must not have to step over to find their own.
create index jobs_kind_due_idx on jobs (kind, run_at, id) where state = 'pending';

-- Inboxes that stopped answering: deliveries to an inbox failing for longer than a week are
-- given up without trying; one success clears it.
create table activitypub_inboxes (
    inbox         text primary key,
    failing_since timestamptz,
    last_error    text
);

-- Queues an `activitypub.publish` job when a published post is announced, edited or withdrawn,
-- in the transaction of the change (so every path that changes posts, the editor, the Admin
-- API, the scheduler, an import, sends the same), and only when the site has followers and
-- federation is on. A post counts as new (`Create`) when it is published no more than a day
-- back: a back catalogue imported today is not announced.
create function quire_activitypub_post_events() returns trigger language plpgsql as $$
declare
    post uuid := case when tg_op = 'DELETE' then old.id else new.id end;
    was_live boolean := tg_op <> 'INSERT' and old.status = 'published' and old.type = 'post';
    is_live boolean := tg_op <> 'DELETE' and new.status = 'published' and new.type = 'post';
    verb text;
begin
    if not (was_live or is_live) then
        return null;
    end if;
    if not exists (select 1 from activitypub_followers)
       or exists (select 1 from settings where key = 'activitypub_enabled' and value = 'false') then
        return null;
    end if;
    if is_live and not was_live then
        if exists (select 1 from activitypub_posts where post_id = post) then
            verb := 'Update';
        elsif new.published_at >= now() - interval '1 day' then
            verb := 'Create';
            insert into activitypub_posts (post_id) values (post);
        else
            return null;
        end if;
    elsif was_live and not is_live then
        if not exists (select 1 from activitypub_posts where post_id = post) then
            return null;
        end if;
        verb := 'Delete';
        delete from activitypub_posts where post_id = post;
    else
        if (new.title, new.slug, new.html, new.custom_excerpt, new.feature_image,
            new.feature_image_alt, new.published_at)
           is not distinct from
           (old.title, old.slug, old.html, old.custom_excerpt, old.feature_image,
            old.feature_image_alt, old.published_at)
           or not exists (select 1 from activitypub_posts where post_id = post) then
            return null;
        end if;
        verb := 'Update';
    end if;
    -- one activity per post and transaction (a `Create` followed by edits stays a `Create`,
    -- which carries the post as the job finds it)
    update jobs
    set payload = payload || jsonb_build_object('verb',
            case when payload->>'verb' = 'Create' and verb = 'Update' then 'Create' else verb end)
    where kind = 'activitypub.publish' and created_at = now() and state = 'pending'
      and payload->>'post' = post::text and payload->>'tx' = txid_current()::text;
    if found then
        return null;
    end if;
    insert into jobs (kind, payload)
    values ('activitypub.publish',
            jsonb_build_object('post', post, 'verb', verb, 'tx', txid_current()::text));
    return null;
end
$$;

create trigger posts_activitypub_events after insert or update or delete on posts
    for each row execute function quire_activitypub_post_events();
