-- CI runner fleet: registration, heartbeats, job claims.
create table public.runners (
  id              text primary key,
  labels          text[] not null default '{}',
  status          text not null default 'online',
  last_heartbeat  timestamptz not null default now(),
  hb_gap_p99_ms   numeric not null default 15000,
  registered_at   timestamptz not null default now()
);

create table public.ci_jobs (
  id               bigint generated always as identity primary key,
  status           text not null default 'queued',
  runner_id        text references public.runners(id),
  lease_expires_at timestamptz,
  created_at       timestamptz not null default now()
);

-- ok: SKIP LOCKED claim within one statement/transaction, lease from now()
create or replace function public.claim_ci_job(p_runner text)
returns bigint
language sql
as $$
  update public.ci_jobs
     set status = 'running', runner_id = p_runner, lease_expires_at = now() + interval '10 minutes'
   where id = (
     select id from public.ci_jobs
      where status = 'queued'
      order by id
      limit 1
      for update skip locked)
  returning id;
$$;

-- reaper, scheduled via pg_cron every 30s
create or replace procedure public.reap_runners()
language plpgsql
as $$
begin
  update public.runners  -- expect: ARM302
     set status = 'dead'
   where status = 'online'
     and last_heartbeat < now() - interval '2 minutes';

  update public.ci_jobs j
     set status = 'queued', runner_id = null
    from public.runners r
   where j.runner_id = r.id and r.status = 'dead' and j.status = 'running';

  -- ephemeral (autoscaled) runners that went silent are deregistered outright
  delete from public.runners  -- expect: ARM302
   where 'ephemeral' = any(labels)
     and last_heartbeat < now() - interval '5 minutes';
end;
$$;

select cron.schedule('reap-runners', '30 seconds', 'call public.reap_runners()');

-- ok: adaptive form
create or replace view public.runner_health as
select id,
       case
         when extract(epoch from (now() - last_heartbeat)) * 1000 >= 3 * hb_gap_p99_ms then 'suspected_dead'
         else 'alive'
       end as health
  from public.runners;

-- ok: requeue jobs whose lease expired (now())
update public.ci_jobs set status = 'queued', runner_id = null
 where status = 'running' and lease_expires_at < now();
