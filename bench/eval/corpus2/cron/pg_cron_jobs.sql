-- Jobs agendados com pg_cron (projeto: scheduler multi-região)
-- Cada job roda dentro do Postgres; alguns usam advisory lock para não sobrepor execuções.

create extension if not exists pg_cron;

create table if not exists public.workers (
    id             text primary key,
    region         text not null,
    status         text not null default 'alive',
    last_heartbeat timestamptz not null default now(),
    hb_p99_ms      numeric not null default 2000
);

create table if not exists public.job_runs (
    id          bigint generated always as identity primary key,
    job         text not null,
    started_at  timestamptz not null default now(),
    duration    interval
);

-- 1) Reaper de workers: marca como mortos quem não bate heartbeat há 90s
select cron.schedule('reap-workers', '* * * * *', $$
    update public.workers  -- expect: ARM302
       set status = 'dead'
     where status = 'alive'
       and last_heartbeat < now() - interval '90 seconds'
$$);

-- 1b) Versão adaptativa (em teste na região sa-east-1)
select cron.schedule('suspect-workers', '* * * * *', $$
    update public.workers  -- ok: adaptive
       set status = 'suspected'
     where status = 'alive'
       and extract(epoch from now() - last_heartbeat) * 1000 >= 3 * hb_p99_ms
$$);

-- 2) Redistribui jobs dos workers mortos
select cron.schedule('requeue-orphans', '* * * * *', $$
    delete from public.worker_assignments wa  -- expect: ARM302
     using public.workers w
     where wa.worker_id = w.id
       and w.last_heartbeat < now() - interval '2 minutes'
$$);

-- 3) Sessões de API expiradas
select cron.schedule('purge-api-sessions', '*/5 * * * *', $$
    delete from public.api_sessions where expires_at < clock_timestamp()  -- expect: ARM101
$$);

-- 4) Rollup de métricas — lock de sessão para não sobrepor execuções longas
create or replace function public.rollup_metrics()
returns void
language plpgsql
as $$
begin
    perform pg_advisory_lock(hashtext('rollup_metrics'));  -- expect: ARM202
    insert into public.metrics_hourly (bucket, region, p50, p99)
    select date_trunc('hour', at), region,
           percentile_cont(0.5) within group (order by v),
           percentile_cont(0.99) within group (order by v)
      from public.metrics_raw
     where at >= now() - interval '1 hour'
     group by 1, 2;
    delete from public.metrics_raw where at < now() - interval '2 hours';
    perform pg_advisory_unlock(hashtext('rollup_metrics'));
end;
$$;

-- 5) Contagem diária — xact lock, tudo numa transação, sem chamada externa
create or replace function public.daily_counts()
returns void
language plpgsql
as $$
declare
    t0 timestamptz := clock_timestamp();
begin
    perform pg_advisory_xact_lock(hashtext('daily_counts'));  -- ok: xact lock, DB-only critical section
    insert into public.daily_counts (day, region, n)
    select current_date - 1, region, count(*) from public.job_runs
     where started_at >= current_date - 1 and started_at < current_date
     group by region
    on conflict (day, region) do update set n = excluded.n;
    insert into public.job_runs (job, duration) values ('daily_counts', clock_timestamp() - t0);  -- ok: elapsed
end;
$$;

select cron.schedule('rollup-metrics', '5 * * * *', 'select public.rollup_metrics()');
select cron.schedule('daily-counts', '10 0 * * *', 'select public.daily_counts()');
