-- One post as an import writes it. A bulk import binds its posts as one array of these
-- (`unnest($1::imported_post[])`), so the statement is checked at compile time like every other
-- and the columns cannot drift out of step, as 26 parallel arrays could.
create type imported_post as (
    id                    uuid,
    slug                  text,
    type                  post_type,
    status                post_status,
    title                 text,
    markdown              text,
    html                  text,
    excerpt               text,
    word_count            integer,
    reading_time          integer,
    custom_excerpt        text,
    feature_image         text,
    feature_image_alt     text,
    feature_image_caption text,
    featured              boolean,
    meta_title            text,
    meta_description      text,
    canonical_url         text,
    codeinjection_head    text,
    codeinjection_foot    text,
    published_at          timestamptz,
    created_at            timestamptz,
    updated_at            timestamptz,
    source_hash           text,
    created_by            uuid,
    feed_guid             text
);
