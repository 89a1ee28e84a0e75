-- The site's text-search configuration, as before (0010_search.sql), in PL/pgSQL: a SQL
-- function with a subquery is not inlined and plans its statement at every call (about a
-- millisecond, paid by each search up to three times); PL/pgSQL keeps the plan for the
-- connection.
create or replace function quire_search_config() returns regconfig language plpgsql stable as $$
begin
    return coalesce(
        (select coalesce(c.oid::regconfig, 'simple'::regconfig)
         from settings s
         left join (values ('ar', 'arabic'), ('hy', 'armenian'), ('eu', 'basque'), ('ca', 'catalan'),
                      ('da', 'danish'), ('nl', 'dutch'), ('en', 'english'), ('fi', 'finnish'),
                      ('fr', 'french'), ('de', 'german'), ('el', 'greek'), ('hi', 'hindi'),
                      ('hu', 'hungarian'), ('id', 'indonesian'), ('ga', 'irish'),
                      ('it', 'italian'), ('lt', 'lithuanian'), ('ne', 'nepali'),
                      ('no', 'norwegian'), ('nb', 'norwegian'), ('nn', 'norwegian'),
                      ('pt', 'portuguese'), ('ro', 'romanian'), ('ru', 'russian'),
                      ('sr', 'serbian'), ('es', 'spanish'), ('sv', 'swedish'), ('ta', 'tamil'),
                      ('tr', 'turkish'), ('yi', 'yiddish')) as m (lang, config)
           on m.lang = lower(split_part(s.value #>> '{}', '-', 1))
         left join pg_ts_config c on c.cfgname = m.config
         where s.key = 'lang'),
        'english'::regconfig);
end
$$;
