-- A redirect made when a published post was renamed belongs to that post: it goes when the
-- post is deleted (no redirect to a page that is gone, no loop left behind), and another
-- writer's post cannot take it over by publishing at the old address and renaming.
alter table redirects
    add column post_id uuid references posts (id) on delete cascade on update cascade;

-- redirects that lead to a post today belong to it
update redirects r set post_id = p.id
from posts p
where r.to_path = '/' || p.slug || '/';

create index redirects_post_idx on redirects (post_id);
create index redirects_to_path_idx on redirects (to_path);
