-- A revision keeps the post's other fields beside its title and text (excerpt, feature image,
-- tags, meta), so restoring one brings back what the post looked like; revisions recorded
-- before this keep only title and text (`fields` is null).
--
-- Saves by one writer within a few minutes of each other are one revision, kept current:
-- `created_at` is when it was first recorded, `saved_at` when it last changed.
alter table revisions
    add column fields jsonb,
    add column saved_at timestamptz;
update revisions set saved_at = created_at;
alter table revisions
    alter column saved_at set not null,
    alter column saved_at set default now();
