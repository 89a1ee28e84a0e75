-- Search, faster to answer and to keep current (see store/search.rs and bench/search.sh):
--
-- 1. The text a snippet is cut from is kept beside the index (`body`, the start of the post's
--    text as it was indexed), so that a search does not strip the HTML of every post it shows.
-- 2. Title, tags, excerpt and authors together (`heading`) are a column of their own, not a
--    concatenation made again for every post a search looks at.
-- 3. The body's vector and text are kept out of the table's rows (TOAST), which hold the small
--    vectors and the date: a search that walks the newest posts reads a few pages, not the
--    whole text of each post.
-- 4. A post is indexed once per transaction, when it commits, with the tags and authors it has
--    then: an import that adds a post, then its tags, then its authors wrote its vectors three
--    times, and maintained their GIN entries three times.

alter table post_search add column body text not null default '',
                        add column heading tsvector not null default '';
alter table post_search set (toast_tuple_target = 128),
    alter column title set storage main, alter column meta set storage main,
    alter column heading set storage main;

-- (Re)indexes posts whole. In PL/pgSQL, whose statements keep their plans, where a SQL
-- function's statement was planned again at each call: once per post of an import.
create or replace function quire_index_posts(posts uuid[]) returns void language plpgsql as $$
begin
    insert into post_search (post_id, title, meta, heading, document, body, visible, published_at)
    select p.id, t.title, m.meta, t.title || m.meta,
           t.title || m.meta || setweight(to_tsvector(c.cfg, quire_search_text(b.text)), 'D'),
           left(b.text, 60000), p.status = 'published', p.published_at
    from posts p
    cross join (select quire_search_config() as cfg) c
    cross join lateral (select quire_html_text(p.html) as text) b
    cross join lateral (select setweight(to_tsvector(c.cfg, quire_search_text(p.title)), 'A') as title) t
    cross join lateral (select quire_search_meta(p.id, c.cfg) as meta) m
    where p.id = any(posts)
    on conflict (post_id) do update
        set title = excluded.title, meta = excluded.meta, heading = excluded.heading,
            document = excluded.document,
            body = excluded.body, visible = excluded.visible, published_at = excluded.published_at;
end
$$;

-- Re-indexes what tags, excerpt and authors give posts already indexed (a post added in this
-- transaction is indexed whole when it commits); the body's part (weight D) is kept as it
-- is, not parsed again.
create or replace function quire_index_meta(posts uuid[]) returns void language sql as $$
    update post_search s
    set meta = n.meta, heading = s.title || n.meta,
        document = s.title || n.meta || ts_filter(s.document, '{d}')
    from (select i.post_id as id, quire_search_meta(i.post_id, quire_search_config()) as meta
          from post_search i where i.post_id = any(posts)) n
    where s.post_id = n.id and s.meta is distinct from n.meta;
$$;

-- a post's content indexed when its transaction commits, as it is then
drop trigger posts_search on posts;
create constraint trigger posts_search after insert or update of title, custom_excerpt, html on posts
    deferrable initially deferred
    for each row execute function quire_search_post_changed();

update post_search s set body = left(quire_html_text(p.html), 60000), heading = s.title || s.meta
from posts p where p.id = s.post_id;
drop index post_search_heading_idx;
create index post_search_heading_idx on post_search using gin (heading);
