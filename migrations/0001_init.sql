-- Quire's whole schema. Applied by `quire migrate` and by `quire serve` under sqlx's
-- migration advisory lock, so replicas starting together apply it exactly once.

-- Staff accounts and public author profiles --------------------------------------------------

create type user_role as enum ('owner', 'administrator', 'editor', 'author', 'contributor');
create type user_status as enum ('active', 'suspended');

create table users (
    id            uuid primary key default gen_random_uuid(),
    email         text not null,
    name          text not null,
    slug          text not null,
    role          user_role not null,
    status        user_status not null default 'active',
    -- argon2id PHC string; null until the user has chosen a password (invited, imported)
    password_hash text,
    bio           text not null default '',
    avatar_url    text,
    cover_image   text,
    website       text,
    location      text,
    last_login_at timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint users_slug_key unique (slug),
    constraint users_email_check check (position('@' in email) > 1)
);
create unique index users_email_key on users (lower(email));
-- there is exactly one Owner at most; a second insert fails instead of racing
create unique index users_one_owner on users ((true)) where role = 'owner';

-- Posts and pages (one table, as in Ghost) ---------------------------------------------------

create type post_type as enum ('post', 'page');
create type post_status as enum ('draft', 'scheduled', 'published');

create table posts (
    id                uuid primary key default gen_random_uuid(),
    -- secret, unguessable id used by preview links of drafts
    preview_id        uuid not null default gen_random_uuid(),
    type              post_type not null default 'post',
    status            post_status not null default 'draft',
    slug              text not null,
    title             text not null,
    markdown          text not null default '',
    -- sanitised HTML rendered from `markdown` when the post is written
    html              text not null default '',
    -- plain-text excerpt derived from the content; `custom_excerpt` wins when set
    excerpt           text not null default '',
    custom_excerpt    text,
    word_count        integer not null default 0,
    reading_time      integer not null default 0,
    feature_image     text,
    feature_image_alt text,
    feature_image_caption text,
    featured          boolean not null default false,
    meta_title        text,
    meta_description  text,
    canonical_url     text,
    codeinjection_head text,
    codeinjection_foot text,
    published_at      timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    created_by        uuid references users (id) on delete set null,
    -- optimistic locking: every update carries the version it was based on
    version           integer not null default 1,
    -- hash of the imported source file, so a re-import can skip unchanged posts
    source_hash       text,
    constraint posts_slug_key unique (slug),
    constraint posts_preview_id_key unique (preview_id),
    constraint posts_published_at_check check (status = 'draft' or published_at is not null)
);
create index posts_public_idx on posts (type, published_at desc, id desc) where status = 'published';
create index posts_scheduled_idx on posts (published_at) where status = 'scheduled';
create index posts_updated_idx on posts (updated_at desc);

create table tags (
    id               uuid primary key default gen_random_uuid(),
    slug             text not null,
    name             text not null,
    description      text not null default '',
    feature_image    text,
    -- Ghost's internal tags (names starting with '#') never show on the site or in feeds
    visibility       text not null default 'public' check (visibility in ('public', 'internal')),
    meta_title       text,
    meta_description text,
    accent_color     text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint tags_slug_key unique (slug)
);

create table posts_tags (
    post_id    uuid not null references posts (id) on delete cascade,
    tag_id     uuid not null references tags (id) on delete cascade,
    sort_order integer not null default 0,
    primary key (post_id, tag_id)
);
create index posts_tags_tag_idx on posts_tags (tag_id, post_id);

create table posts_authors (
    post_id    uuid not null references posts (id) on delete cascade,
    author_id  uuid not null references users (id) on delete restrict,
    sort_order integer not null default 0,
    primary key (post_id, author_id)
);
create index posts_authors_author_idx on posts_authors (author_id, post_id);

create table revisions (
    id         bigint generated always as identity primary key,
    post_id    uuid not null references posts (id) on delete cascade,
    version    integer not null,
    title      text not null,
    markdown   text not null,
    author_id  uuid references users (id) on delete set null,
    reason     text not null default 'save',
    created_at timestamptz not null default now()
);
create index revisions_post_idx on revisions (post_id, created_at desc);

-- Aliases of old URLs (imports, renamed slugs) ------------------------------------------------

create table redirects (
    from_path  text primary key check (from_path like '/%'),
    to_path    text not null,
    permanent  boolean not null default true,
    created_at timestamptz not null default now()
);

-- Sign-in state: shared by every replica -----------------------------------------------------

create table sessions (
    -- SHA-256 of the cookie token: a leaked table does not leak usable sessions
    token_hash   text primary key,
    user_id      uuid not null references users (id) on delete cascade,
    csrf_token   text not null,
    user_agent   text,
    ip           inet,
    created_at   timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    expires_at   timestamptz not null
);
create index sessions_user_idx on sessions (user_id);
create index sessions_expires_idx on sessions (expires_at);

-- One-time links: staff invitations and password resets
create table user_tokens (
    token_hash text primary key,
    kind       text not null check (kind in ('invite', 'reset')),
    user_id    uuid references users (id) on delete cascade,
    email      text,
    role       user_role,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at    timestamptz
);

-- Fixed-window counters (login throttling and other limits), shared by every replica
create table rate_limits (
    key          text primary key,
    hits         integer not null,
    window_start timestamptz not null
);

-- Site settings and media ---------------------------------------------------------------------

create table settings (
    key        text primary key,
    value      jsonb not null,
    updated_at timestamptz not null default now()
);

create table media (
    id           uuid primary key default gen_random_uuid(),
    -- storage key built by Quire from the content hash, never from the uploaded name
    storage_key  text not null,
    sha256       text not null,
    content_type text not null,
    bytes        bigint not null,
    width        integer,
    height       integer,
    -- resized variants: [{"width": 600, "key": "...", "content_type": "image/webp"}, ...]
    variants     jsonb not null default '[]',
    alt          text,
    uploaded_by  uuid references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    constraint media_storage_key_key unique (storage_key),
    constraint media_sha256_key unique (sha256)
);

-- Invalidation: every committed change of public content bumps one counter and notifies ------
--
-- Replicas LISTEN on `quire_content` and drop their page caches when a notification arrives
-- (PostgreSQL delivers it at commit, so the change is visible by then). A replica that lost its
-- connection compares `content_version` periodically and converges anyway. Triggers, not
-- handlers, do this, so the import CLI and plain SQL invalidate exactly like the admin does.

create table site_state (
    id              boolean primary key default true check (id),
    content_version bigint not null default 1,
    changed_at      timestamptz not null default now(),
    -- set once the welcome content of a fresh install has been written
    seeded          boolean not null default false
);
insert into site_state default values;

create function quire_bump_content_version() returns void
language plpgsql as $$
declare
    v bigint;
begin
    -- one bump per transaction is enough; a bulk import would otherwise bump per row
    if current_setting('quire.content_bumped', true) = 'on' then
        return;
    end if;
    perform set_config('quire.content_bumped', 'on', true);
    update site_state set content_version = content_version + 1, changed_at = now()
        returning content_version into v;
    perform pg_notify('quire_content', v::text);
end
$$;

create function quire_content_changed() returns trigger
language plpgsql as $$
begin
    perform quire_bump_content_version();
    return null;
end
$$;

-- A draft being autosaved changes nothing a reader sees: only rows that are or were public count.
create trigger posts_insert_changed after insert on posts
    for each row when (new.status = 'published') execute function quire_content_changed();
create trigger posts_update_changed after update on posts
    for each row when (old.status = 'published' or new.status = 'published')
    execute function quire_content_changed();
create trigger posts_delete_changed after delete on posts
    for each row when (old.status = 'published') execute function quire_content_changed();

-- Links of a post to tags and authors matter when the post is public.
create function quire_post_link_changed() returns trigger
language plpgsql as $$
begin
    if exists (
        select 1 from posts
        where id in (
            (case when tg_op = 'INSERT' then null else old.post_id end),
            (case when tg_op = 'DELETE' then null else new.post_id end))
          and status = 'published'
    ) then
        perform quire_bump_content_version();
    end if;
    return null;
end
$$;

create trigger posts_tags_changed after insert or update or delete on posts_tags
    for each row execute function quire_post_link_changed();
create trigger posts_authors_changed after insert or update or delete on posts_authors
    for each row execute function quire_post_link_changed();

create trigger tags_changed after insert or update or delete or truncate on tags
    for each statement execute function quire_content_changed();
create trigger settings_changed after insert or update or delete or truncate on settings
    for each statement execute function quire_content_changed();
create trigger redirects_changed after insert or update or delete or truncate on redirects
    for each statement execute function quire_content_changed();
-- only what an author page shows; sign-ins and password changes do not count
create trigger users_changed after insert or delete on users
    for each statement execute function quire_content_changed();
create trigger users_profile_changed
    after update of name, slug, bio, avatar_url, cover_image, website, location, status on users
    for each statement execute function quire_content_changed();

-- Default settings of a fresh install ---------------------------------------------------------

insert into settings (key, value) values
    ('title', '"Quire"'),
    ('description', '"Thoughts, stories and ideas."'),
    ('lang', '"en"'),
    ('timezone', '"Etc/UTC"'),
    ('posts_per_page', '10'),
    ('feed_items', '20'),
    ('accent_color', '"#d9480f"'),
    ('logo', 'null'),
    ('cover_image', 'null'),
    ('navigation', '[{"label": "Home", "url": "/"}, {"label": "About", "url": "/about/"}]'),
    ('codeinjection_head', '""'),
    ('codeinjection_foot', '""');

-- Posts with their ordered tags and authors, as the site and the API read them -----------------

create view posts_with_links as
select
    p.*,
    coalesce(nullif(p.custom_excerpt, ''), p.excerpt) as summary,
    coalesce((
        select jsonb_agg(jsonb_build_object('id', t.id, 'slug', t.slug, 'name', t.name, 'visibility', t.visibility)
                         order by pt.sort_order, t.name)
        from posts_tags pt join tags t on t.id = pt.tag_id
        where pt.post_id = p.id
    ), '[]'::jsonb) as tags,
    coalesce((
        select jsonb_agg(jsonb_build_object('id', u.id, 'slug', u.slug, 'name', u.name, 'avatar_url', u.avatar_url,
                                            'bio', u.bio, 'website', u.website)
                         order by pa.sort_order, u.name)
        from posts_authors pa join users u on u.id = pa.author_id
        where pa.post_id = p.id
    ), '[]'::jsonb) as authors
from posts p;
