-- The id a post's items had in the feeds of the site it was imported from (Ghost names RSS items
-- by its 24-hex post id, not by the uuid). Feeds use it as the item id when present, so readers
-- that followed the old site do not see every post again as new after a migration.
alter table posts add column feed_guid text;

-- `p.*` in a view is expanded when the view is created: re-create it to carry the new column
drop view posts_with_links;
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
