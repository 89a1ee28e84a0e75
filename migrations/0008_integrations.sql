-- Integrations, as Ghost's custom integrations: a name, a Content API key (26 hex, sent as
-- `?key=`) and an Admin API key (`id:secret`, 24 + 64 hex; the secret signs the tokens Admin API
-- clients send, so it is kept to check them, and shown once when the integration is made).
create table integrations (
    id           uuid primary key default gen_random_uuid(),
    name         text not null check (char_length(name) between 1 and 191),
    content_key  text not null unique check (content_key ~ '^[0-9a-f]{26}$'),
    admin_key_id text not null unique check (admin_key_id ~ '^[0-9a-f]{24}$'),
    admin_secret text not null check (admin_secret ~ '^[0-9a-f]{64}$'),
    created_by   uuid references users (id) on delete set null,
    created_at   timestamptz not null default now()
);

-- a revoked key stops working on every replica at once: replicas may keep what the keys let
-- through in their caches, which every change here drops
create trigger integrations_changed after insert or update or delete or truncate on integrations
    for each statement execute function quire_content_changed();
