-- Audit log + ops helpers. Look-alikes only: nothing here should be flagged.
create table public.audit_log (
  id          bigint generated always as identity primary key,
  actor       uuid,
  action      text not null,
  detail      jsonb,
  created_at  timestamptz not null default now(),            -- ok
  logged_at   timestamptz not null default current_timestamp -- ok
);

create or replace function public.audit(p_actor uuid, p_action text, p_detail jsonb)
returns void
language plpgsql
as $$
begin
  insert into public.audit_log (actor, action, detail) values (p_actor, p_action, p_detail);  -- ok: CRUD audit row
  raise log 'audit % by % (stmt=%, wall=%)', p_action, p_actor, statement_timestamp(), clock_timestamp();  -- ok: logging
end;
$$;

create or replace function public.slow_query_probe()
returns interval
language plpgsql
as $$
declare
  t0 timestamptz := clock_timestamp();
begin
  perform count(*) from public.audit_log;
  return clock_timestamp() - t0;  -- ok: elapsed time
end;
$$;

create or replace view public.audit_recent as
select id, actor, action, created_at
  from public.audit_log
 where created_at > now() - interval '7 days'  -- ok: reporting window
 order by id desc;

-- invite tokens: expiry from now()
create table public.invites (
  token       text primary key,
  email       text not null,
  expires_at  timestamptz not null default now() + interval '7 days',  -- ok
  created_at  timestamptz not null default transaction_timestamp()  -- ok
);

create policy "invite redeemable while valid"
  on public.invites for select
  using (expires_at > now());  -- ok

-- sessions measured per statement for diagnostics
create or replace function public.diag_statement_latency()
returns table (phase text, elapsed interval)
language sql
as $$
  select 'statement', clock_timestamp() - statement_timestamp();  -- ok: profiling
$$;

-- heartbeat table for internal cron jobs (observability only, nothing is evicted)
create or replace view public.cron_last_runs as
select jobname, max(end_time) as last_end,
       now() - max(end_time) as since_last  -- ok: display
  from cron.job_run_details d join cron.job j using (jobid)
 group by jobname;
