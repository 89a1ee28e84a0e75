-- A job queue every replica works from: a replica claims a due job with
-- `FOR UPDATE SKIP LOCKED`, so each job is run by one replica at a time, and holds it until
-- `locked_until`; a replica killed mid-job leaves it to be claimed again once that passes.
-- Failures are retried at `run_at`, later each time, until `max_attempts`. Webhooks use it
-- first; any later background work (mail, federation) adds its own `kind`.
create table jobs (
    id           bigint generated always as identity primary key,
    kind         text not null check (char_length(kind) between 1 and 100),
    payload      jsonb not null,
    state        text not null default 'pending' check (state in ('pending', 'done', 'failed')),
    run_at       timestamptz not null default now(),
    attempts     integer not null default 0,
    max_attempts integer not null default 15 check (max_attempts > 0),
    locked_until timestamptz,
    -- what the last attempt said: the receiver's status, or why it failed
    last_result  text,
    created_at   timestamptz not null default now(),
    finished_at  timestamptz
);
create index jobs_due_idx on jobs (run_at, id) where state = 'pending';
create index jobs_kind_idx on jobs (kind, created_at desc);

-- Webhooks, as Ghost's: an integration's, called on one event with a signed POST.
create table webhooks (
    id             uuid primary key default gen_random_uuid(),
    integration_id uuid not null references integrations (id) on delete cascade,
    event          text not null check (event ~ '^[a-z]+(\.[a-z]+){1,2}$'),
    target_url     text not null check (char_length(target_url) between 1 and 2000),
    name           text check (char_length(name) <= 191),
    -- signs each delivery (`X-Ghost-Signature`) when set
    secret         text check (char_length(secret) <= 191),
    api_version    text not null default 'v5',
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    last_triggered_at     timestamptz,
    last_triggered_status text,
    last_triggered_error  text
);
create index webhooks_event_idx on webhooks (event);
create index webhooks_integration_idx on webhooks (integration_id);

-- Queues one `webhook.event` job per event that a webhook listens to, in the transaction
-- of the change itself: the event is sent if and only if the change commits, whichever path
-- made it (the editor, the Admin API, an import, the scheduler). `previous` is the row before
-- the change, for the payload's `previous`. `site.changed` is queued once per transaction,
-- however many rows it changed.
create function quire_queue_events(events text[], resource text, item uuid, previous jsonb)
returns void language sql as $$
    insert into jobs (kind, payload)
    select 'webhook.event',
           jsonb_build_object('event', e, 'resource', resource, 'id', item,
                              'previous', previous, 'tx', txid_current()::text)
    from unnest(events) as e
    where exists (select 1 from webhooks w where w.event = e)
      and not (e = 'site.changed' and exists (
            select 1 from jobs j
            where j.kind = 'webhook.event' and j.created_at = now()
              and j.payload->>'event' = 'site.changed'
              and j.payload->>'tx' = txid_current()::text));
$$;

create function quire_post_events() returns trigger language plpgsql as $$
declare
    kind text := case when tg_op = 'DELETE' then old.type::text else new.type::text end;
    was_live boolean := tg_op <> 'INSERT' and old.status = 'published';
    is_live boolean := tg_op <> 'DELETE' and new.status = 'published';
    events text[];
begin
    -- no webhook at all: nothing to work out (an import of thousands of posts pays one probe)
    if not exists (select 1 from webhooks) then
        return null;
    end if;
    if tg_op = 'INSERT' then
        events := array[kind || '.added'];
        if is_live then
            events := events || (kind || '.published');
        elsif new.status = 'scheduled' then
            events := events || (kind || '.scheduled');
        end if;
    elsif tg_op = 'DELETE' then
        events := array[kind || '.deleted'];
    else
        if (to_jsonb(new) - 'updated_at' - 'version') = (to_jsonb(old) - 'updated_at' - 'version') then
            return null;
        end if;
        events := array[kind || '.edited'];
        if is_live and not was_live then
            events := events || (kind || '.published');
        elsif was_live and not is_live then
            events := events || (kind || '.unpublished');
        elsif is_live then
            events := events || (kind || '.published.edited');
        end if;
        if new.status = 'scheduled' and old.status <> 'scheduled' then
            events := events || (kind || '.scheduled');
        elsif old.status = 'scheduled' and new.status = 'draft' then
            events := events || (kind || '.unscheduled');
        elsif old.status = 'scheduled' and new.status = 'scheduled'
              and new.published_at is distinct from old.published_at then
            events := events || (kind || '.rescheduled');
        end if;
    end if;
    if was_live or is_live then
        events := events || 'site.changed'::text;
    end if;
    perform quire_queue_events(
        events, kind,
        case when tg_op = 'DELETE' then old.id else new.id end,
        case when tg_op = 'INSERT' then null else to_jsonb(old) - 'markdown' end);
    return null;
end
$$;

create trigger posts_webhook_events after insert or update or delete on posts
    for each row execute function quire_post_events();

create function quire_tag_events() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from webhooks) then
        return null;
    end if;
    if tg_op = 'UPDATE' and to_jsonb(new) - 'updated_at' = to_jsonb(old) - 'updated_at' then
        return null;
    end if;
    perform quire_queue_events(
        array[case tg_op when 'INSERT' then 'tag.added' when 'UPDATE' then 'tag.edited'
                         else 'tag.deleted' end, 'site.changed'],
        'tag',
        case when tg_op = 'DELETE' then old.id else new.id end,
        case when tg_op = 'INSERT' then null else to_jsonb(old) end);
    return null;
end
$$;

create trigger tags_webhook_events after insert or update or delete on tags
    for each row execute function quire_tag_events();

create function quire_settings_events() returns trigger language plpgsql as $$
begin
    perform quire_queue_events(array['site.changed'], 'site', null, null);
    return null;
end
$$;

create trigger settings_webhook_events after insert or update or delete on settings
    for each statement execute function quire_settings_events();
