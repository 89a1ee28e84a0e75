-- The site's ActivityPub actor: its key pair, made once by whichever replica first needs it
-- (`store::activitypub::key_pair`) and kept here, so that every replica signs with the same
-- key and a restart or a new replica changes nothing followers know.
create table activitypub_key (
    id              boolean primary key default true check (id),
    private_key_pem text not null,
    public_key_pem  text not null,
    created_at      timestamptz not null default now()
);
