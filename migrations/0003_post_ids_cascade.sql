-- An import may give an existing post the stable id its source carries (the id feeds name it
-- by), so links and revisions follow a post's id when it changes.
alter table posts_tags
    drop constraint posts_tags_post_id_fkey,
    add constraint posts_tags_post_id_fkey
        foreign key (post_id) references posts (id) on delete cascade on update cascade;
alter table posts_authors
    drop constraint posts_authors_post_id_fkey,
    add constraint posts_authors_post_id_fkey
        foreign key (post_id) references posts (id) on delete cascade on update cascade;
alter table revisions
    drop constraint revisions_post_id_fkey,
    add constraint revisions_post_id_fkey
        foreign key (post_id) references posts (id) on delete cascade on update cascade;
