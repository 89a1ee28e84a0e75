-- Phrases found through the index of the words that stand side by side in a post (see
-- `domain::tsquery::Query::pairs` and store/search.rs).
--
-- The index of words finds every post that holds a phrase's words anywhere, and each of those
-- posts must then be read whole to see whether the words stand together: for a phrase of
-- common words, most of the blog. `pairs` holds each lexeme of the post with the one at the
-- next position (`'cach queri'`; the configurations give a position one lexeme), so that its
-- GIN index finds the posts where the phrase's words are neighbours. It serves Chinese,
-- Japanese and Korean text too, indexed a character to a lexeme: pairs of characters are
-- what such a search looks for.

-- A post's pairs are those of its whole text, the lexemes a space apart (`'cach queri'`),
-- and those of its heading (title, tags, excerpt, authors), two spaces apart: the title and
-- heading tiers of a search find the posts whose heading holds a phrase's words together.
-- A lexeme has no space in it.
--
-- A pair is under 128 bytes: longer ones (of words over 60 letters or so) are left out, and
-- a phrase does not ask for them (`PAIR_BYTES` in domain/tsquery.rs). A post's pairs are
-- kept from its start up to 900,000 bytes, under the 1 MiB a vector holds: only a post of
-- long words far past the 16,383 positions a vector counts (where phrases are not found
-- anyway) has more.
create function quire_search_pairs(doc tsvector, separator text) returns tsvector
language sql immutable parallel safe as $$
    select coalesce(array_to_tsvector(array_agg(pair)), '')
    from (select pair, sum(octet_length(pair) + 8) over (order by pos rows unbounded preceding) as bytes
          from (select p.pos, u.lexeme || separator || lead(u.lexeme) over (order by p.pos) as pair
                from unnest(doc) u, unnest(u.positions) p(pos)) w
          where octet_length(pair) < 128) x
    where bytes < 900000;
$$;

alter table post_search add column pairs tsvector not null default '';

-- Each value made once: `offset 0` keeps the planner from copying a lateral subquery's
-- expression into every place that uses it (it did: the post's HTML was stripped twice, its
-- text parsed twice, its tags and authors read three times).
create or replace function quire_index_posts(posts uuid[]) returns void language plpgsql as $$
begin
    insert into post_search (post_id, title, meta, heading, document, pairs, body, visible,
                             published_at)
    select p.id, t.title, m.meta, h.heading, d.document,
           quire_search_pairs(d.document, ' ') || quire_search_pairs(h.heading, '  '),
           left(b.text, 60000), p.status = 'published', p.published_at
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
            body = excluded.body, visible = excluded.visible, published_at = excluded.published_at;
end
$$;

-- the pairs across the heading and the text change with the heading
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
$$;

update post_search set pairs = quire_search_pairs(document, ' ') || quire_search_pairs(heading, '  ');
create index post_search_pairs_idx on post_search using gin (pairs);
