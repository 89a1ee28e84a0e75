-- What a search result shows of a post (its type, slug, title and public tags) kept beside
-- its index (see store/search.rs): a hit is then the one row its search found, not that row,
-- the post's, its links to tags and the tags, joined and planned at every search (about a
-- third of a search's time at 100,000 posts).
--
-- The columns are kept in the row (`main`): the table moves anything else past 128 bytes to
-- its TOAST, and a hit would then cost a look-up more.
alter table post_search
    add column hit_type post_type not null default 'post',
    add column hit_slug text not null default '',
    add column hit_title text not null default '',
    add column hit_tags jsonb not null default '[]';
alter table post_search
    alter column hit_slug set storage main, alter column hit_title set storage main,
    alter column hit_tags set storage main;

-- A post's public tags in its order, as a result lists them: `[{"slug", "name"}]`.
create function quire_search_tags(post uuid) returns jsonb language sql stable as $$
    select coalesce(jsonb_agg(jsonb_build_object('slug', t.slug, 'name', t.name)
                              order by pt.sort_order, t.name), '[]')
    from posts_tags pt join tags t on t.id = pt.tag_id
    where pt.post_id = post and t.visibility = 'public';
$$;

-- As in 0012_search_pairs.sql, with what a hit shows.
create or replace function quire_index_posts(posts uuid[]) returns void language plpgsql as $$
begin
    insert into post_search (post_id, title, meta, heading, document, pairs, body, visible,
                             published_at, hit_type, hit_slug, hit_title, hit_tags)
    select p.id, t.title, m.meta, h.heading, d.document,
           quire_search_pairs(d.document, ' ') || quire_search_pairs(h.heading, '  '),
           left(b.text, 60000), p.status = 'published', p.published_at,
           p.type, p.slug, p.title, quire_search_tags(p.id)
    from posts p
    cross join (select quire_search_config() as cfg offset 0) c
    cross join lateral (select quire_html_text(p.html) as text offset 0) b
    cross join lateral (select setweight(to_tsvector(c.cfg, quire_search_text(p.title)), 'A') as title
                        offset 0) t
    cross join lateral (select quire_search_meta(p.id, c.cfg) as meta offset 0) m
    cross join lateral (select t.title || m.meta as heading offset 0) h
    cross join lateral (select h.heading || setweight(to_tsvector(c.cfg, quire_search_text(b.text)), 'D')
                        as document offset 0) d
    where p.id = any(posts)
    on conflict (post_id) do update
        set title = excluded.title, meta = excluded.meta, heading = excluded.heading,
            document = excluded.document, pairs = excluded.pairs,
            body = excluded.body, visible = excluded.visible, published_at = excluded.published_at,
            hit_type = excluded.hit_type, hit_slug = excluded.hit_slug,
            hit_title = excluded.hit_title, hit_tags = excluded.hit_tags;
end
$$;

-- As in 0012_search_pairs.sql; then the tags a hit shows, which change with a tag's slug or
-- the post's order of tags too (neither of which the index holds).
create or replace function quire_index_meta(posts uuid[]) returns void language sql as $$
    update post_search s
    set meta = n.meta, heading = n.heading, document = n.document,
        pairs = quire_search_pairs(n.document, ' ') || quire_search_pairs(n.heading, '  ')
    from (select i.post_id as id, m.meta, h.heading, h.heading || ts_filter(i.document, '{d}') as document
          from post_search i
          cross join lateral (select quire_search_meta(i.post_id, quire_search_config()) as meta
                              offset 0) m
          cross join lateral (select i.title || m.meta as heading offset 0) h
          where i.post_id = any(posts)) n
    where s.post_id = n.id and s.meta is distinct from n.meta;
    update post_search s set hit_tags = n.tags
    from (select id, quire_search_tags(id) as tags from unnest(posts) as id) n
    where s.post_id = n.id and s.hit_tags is distinct from n.tags;
$$;

-- a tag renamed, given another slug or made internal: its posts re-indexed
create or replace function quire_search_tag_renamed() returns trigger language plpgsql as $$
begin
    if (new.name, new.slug, new.visibility) is distinct from (old.name, old.slug, old.visibility) then
        perform quire_index_meta(array(select post_id from posts_tags where tag_id = new.id));
    end if;
    return null;
end
$$;

-- a post given another slug or made a page: what its hits show (its title changes re-index it
-- whole, see posts_search)
create function quire_search_hit_changed() returns trigger language plpgsql as $$
begin
    update post_search set hit_type = new.type, hit_slug = new.slug
    where post_id = new.id and (hit_type, hit_slug) is distinct from (new.type, new.slug);
    return null;
end
$$;
create trigger posts_search_hit after update of slug, type on posts
    for each row execute function quire_search_hit_changed();

update post_search s
set hit_type = p.type, hit_slug = p.slug, hit_title = p.title, hit_tags = quire_search_tags(p.id)
from posts p where p.id = s.post_id;
