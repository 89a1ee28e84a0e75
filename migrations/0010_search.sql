-- Full-text search over every post and page, kept current by the database as content changes.
--
-- One row per post in `post_search`: `title` (weight A) and `meta` (public tags and the custom
-- excerpt, B; authors, C) are small vectors that rank a hit; `document` is all of it with the
-- body's text (D) and is what a query matches, through its GIN index. The text-search
-- configuration follows the site's `lang` setting (a stemmer where PostgreSQL has one, else
-- `simple`); changing the language re-indexes every post.

-- The configuration for the site's language: `en`, `de-AT`, ... → english, german, ...;
-- `simple` (no stemming) for a language PostgreSQL has no stemmer for; english while the
-- language was never set (Quire's default is `en`).
create function quire_search_config() returns regconfig language sql stable as $$
    select coalesce(
        (select coalesce(c.oid::regconfig, 'simple'::regconfig)
         from settings s
         left join (values ('ar', 'arabic'), ('hy', 'armenian'), ('eu', 'basque'), ('ca', 'catalan'),
                      ('da', 'danish'), ('nl', 'dutch'), ('en', 'english'), ('fi', 'finnish'),
                      ('fr', 'french'), ('de', 'german'), ('el', 'greek'), ('hi', 'hindi'),
                      ('hu', 'hungarian'), ('id', 'indonesian'), ('ga', 'irish'),
                      ('it', 'italian'), ('lt', 'lithuanian'), ('ne', 'nepali'),
                      ('no', 'norwegian'), ('nb', 'norwegian'), ('nn', 'norwegian'),
                      ('pt', 'portuguese'), ('ro', 'romanian'), ('ru', 'russian'),
                      ('sr', 'serbian'), ('es', 'spanish'), ('sv', 'swedish'), ('ta', 'tamil'),
                      ('tr', 'turkish'), ('yi', 'yiddish')) as m (lang, config)
           on m.lang = lower(split_part(s.value #>> '{}', '-', 1))
         left join pg_ts_config c on c.cfgname = m.config
         where s.key = 'lang'),
        'english'::regconfig);
$$;

-- Text as it is indexed: each Chinese, Japanese or Korean character a word of its own (their
-- scripts do not separate words with spaces, and PostgreSQL has no segmenter for them), so
-- that a search for a word of two or three characters, made a phrase of single characters by
-- Quire, finds it anywhere in a sentence.
create function quire_search_text(t text) returns text language sql immutable as $$
    select regexp_replace(t, '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])', ' \1 ', 'g');
$$;

-- A post's text from its rendered HTML: tags dropped, the entities the renderer writes
-- decoded but for `<` and `>`, which become spaces (text-search parsing skips what follows a
-- literal `<script>`, and snippets are made from this text), the characters snippets use as
-- markers removed, at most 300,000 characters (a tsvector holds 1 MiB).
create function quire_html_text(html text) returns text language sql immutable as $$
    select left(translate(
        replace(replace(replace(replace(replace(replace(
            regexp_replace(html, '<[^>]*>', ' ', 'g'),
            '&lt;', ' '), '&gt;', ' '), '&quot;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&'),
        U&'\E000\E001', ''), 300000);
$$;

create table post_search (
    post_id      uuid primary key references posts (id) on delete cascade,
    title        tsvector not null,
    meta         tsvector not null,
    document     tsvector not null,
    -- what readers may find, newest first: kept from the post, so that a word in most posts
    -- is answered by walking the newest ones, without sorting every match
    visible      boolean not null default false,
    published_at timestamptz
);
create index post_search_document_idx on post_search using gin (document);
create index post_search_newest_idx on post_search (published_at desc) where visible;
create index post_search_title_idx on post_search using gin (title);
create index post_search_heading_idx on post_search using gin ((title || meta));

-- The small vectors of tags, excerpt and authors.
create function quire_search_meta(post uuid, cfg regconfig) returns tsvector language sql stable as $$
    select setweight(to_tsvector(cfg, quire_search_text(coalesce(
               (select string_agg(t.name, ' ') from posts_tags pt join tags t on t.id = pt.tag_id
                where pt.post_id = post and t.visibility = 'public'), ''))), 'B')
        || setweight(to_tsvector(cfg, quire_search_text(coalesce(
               (select custom_excerpt from posts where id = post), ''))), 'B')
        || setweight(to_tsvector(cfg, quire_search_text(coalesce(
               (select string_agg(u.name, ' ') from posts_authors pa join users u on u.id = pa.author_id
                where pa.post_id = post), ''))), 'C');
$$;

-- (Re)indexes posts whole.
create function quire_index_posts(posts uuid[]) returns void language sql as $$
    insert into post_search (post_id, title, meta, document, visible, published_at)
    select p.id, t.title, m.meta,
           t.title || m.meta || setweight(to_tsvector(c.cfg, quire_search_text(quire_html_text(p.html))), 'D'),
           p.status = 'published', p.published_at
    from posts p
    cross join (select quire_search_config() as cfg) c
    cross join lateral (select setweight(to_tsvector(c.cfg, quire_search_text(p.title)), 'A') as title) t
    cross join lateral (select quire_search_meta(p.id, c.cfg) as meta) m
    where p.id = any(posts)
    on conflict (post_id) do update
        set title = excluded.title, meta = excluded.meta, document = excluded.document,
            visible = excluded.visible, published_at = excluded.published_at;
$$;

-- Re-indexes what tags, excerpt and authors give posts; the body's part (weight D) is kept
-- as it is, not parsed again.
create function quire_index_meta(posts uuid[]) returns void language sql as $$
    update post_search s
    set meta = n.meta, document = s.title || n.meta || ts_filter(s.document, '{d}')
    from (select id, quire_search_meta(id, quire_search_config()) as meta
          from unnest(posts) as id) n
    where s.post_id = n.id and s.meta is distinct from n.meta;
$$;

create function quire_search_post_changed() returns trigger language plpgsql as $$
begin
    perform quire_index_posts(array[new.id]);
    return null;
end
$$;
create trigger posts_search after insert or update of title, custom_excerpt, html on posts
    for each row execute function quire_search_post_changed();

-- published, unpublished, rescheduled: only what readers may find changes
create function quire_search_status_changed() returns trigger language plpgsql as $$
begin
    update post_search set visible = new.status = 'published', published_at = new.published_at
    where post_id = new.id
      and (visible, published_at) is distinct from (new.status = 'published', new.published_at);
    return null;
end
$$;
create trigger posts_search_status after update of status, published_at on posts
    for each row execute function quire_search_status_changed();

-- tags or authors added to or removed from posts: one statement re-indexes each post once
create function quire_search_links_changed() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform quire_index_meta(array(select distinct post_id from added));
    else
        perform quire_index_meta(array(select distinct post_id from removed));
    end if;
    return null;
end
$$;
create trigger posts_tags_search_added after insert on posts_tags
    referencing new table as added for each statement execute function quire_search_links_changed();
create trigger posts_tags_search_removed after delete on posts_tags
    referencing old table as removed for each statement execute function quire_search_links_changed();
create trigger posts_authors_search_added after insert on posts_authors
    referencing new table as added for each statement execute function quire_search_links_changed();
create trigger posts_authors_search_removed after delete on posts_authors
    referencing old table as removed for each statement execute function quire_search_links_changed();

-- a tag renamed (or made internal) or an author renamed: their posts re-indexed
create function quire_search_tag_renamed() returns trigger language plpgsql as $$
begin
    if new.name is distinct from old.name or new.visibility is distinct from old.visibility then
        perform quire_index_meta(array(select post_id from posts_tags where tag_id = new.id));
    end if;
    return null;
end
$$;
create trigger tags_search after update on tags
    for each row execute function quire_search_tag_renamed();

create function quire_search_author_renamed() returns trigger language plpgsql as $$
begin
    if new.name is distinct from old.name then
        perform quire_index_meta(array(select post_id from posts_authors where author_id = new.id));
    end if;
    return null;
end
$$;
create trigger users_search after update on users
    for each row execute function quire_search_author_renamed();

-- The configuration the index was built with; a language change re-indexes everything.
create table search_state (
    only_row boolean primary key default true check (only_row),
    config   regconfig not null
);
insert into search_state (config) values (quire_search_config());

create function quire_search_language_changed() returns trigger language plpgsql as $$
begin
    if (select config from search_state) is distinct from quire_search_config() then
        update search_state set config = quire_search_config();
        perform quire_index_posts(array(select id from posts));
    end if;
    return null;
end
$$;
create trigger settings_search after insert or update or delete on settings
    for each statement execute function quire_search_language_changed();

select quire_index_posts(array(select id from posts));
