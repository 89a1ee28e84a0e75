-- Links of posts to tags and authors: once a transaction has bumped the content version, later
-- rows skip the look-up of their post. A bulk import writing thousands of links then pays one
-- look-up instead of one per row.
create or replace function quire_post_link_changed() returns trigger
language plpgsql as $$
begin
    if current_setting('quire.content_bumped', true) = 'on' then
        return null;
    end if;
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
