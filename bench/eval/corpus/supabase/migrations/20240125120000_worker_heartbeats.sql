create table public.workers (
  id          text primary key,
  status      text not null default 'alive',
  last_seen   timestamptz not null default now(),
  rtt_p99_ms  numeric not null default 1000
);

create or replace function public.mark_dead_workers()
returns integer
language plpgsql
as $$
declare
  n integer;
begin
  update public.workers  -- expect: ARM302
     set status = 'dead'
   where last_seen < now() - interval '30 seconds';
  get diagnostics n = row_count;
  return n;
end;
$$;

create or replace view public.worker_status as
select id,
       case when last_seen < now() - interval '2 minutes' then 'offline'  -- expect: ARM302
            else 'online'
       end as state
  from public.workers;

-- ok: adaptive (3x p99)
create or replace view private.suspected_dead_workers as
select id,
       extract(epoch from (now() - last_seen)) * 1000 as silent_ms,
       case
         when extract(epoch from (now() - last_seen)) * 1000 >= 3 * rtt_p99_ms then 'suspected_dead'
         else 'alive'
       end as status
  from public.workers;

-- ok: heartbeat write
create or replace function public.worker_heartbeat(p_id text)
returns void language sql as $$
  insert into public.workers (id) values (p_id)
  on conflict (id) do update set last_seen = now(), status = 'alive';
$$;
