-- Game servers: heartbeats and health views.
create table public.game_servers (
  id              text primary key,
  region          text not null,
  state           text not null default 'ready',
  last_heartbeat  timestamptz not null default now(),
  rtt_p99_ms      numeric not null default 500
);

create table public.server_votes (
  server_id  text not null references public.game_servers(id),
  voter      text not null,
  suspects   boolean not null,
  voted_at   timestamptz not null default now(),
  primary key (server_id, voter)
);

create or replace view public.server_status as
select id, region,
       case
         when last_heartbeat < now() - interval '20 seconds' then 'offline'  -- expect: ARM302
         else 'online'
       end as status
  from public.game_servers;

create or replace view public.server_status_adaptive as
select id, region,
       case
         when extract(epoch from now() - last_heartbeat) * 1000 >= 3 * rtt_p99_ms then 'suspected'  -- ok: adaptive
         else 'online'
       end as status
  from public.game_servers;

-- ok: quorum-based failover: a server is drained only when >= 2 peers suspect it
create or replace function public.drain_by_quorum()
returns int
language sql
as $$
  with q as (
    select server_id from public.server_votes
     where suspects and voted_at > now() - interval '30 seconds'
     group by server_id having count(*) >= 2
  )
  update public.game_servers g set state = 'draining'
    from q where g.id = q.server_id
  returning 1;
$$;

select cron.schedule(
  'evict-silent-servers',
  '* * * * *',
  $$update public.game_servers set state = 'dead' where last_heartbeat < now() - interval '45 seconds'$$  -- expect: ARM302
);

create or replace function public.purge_offline_servers()
returns void
language plpgsql
as $$
begin
  delete from public.game_servers  -- expect: ARM302
   where last_heartbeat < now() - interval '3 minutes';
end;
$$;

-- ok: heartbeat upsert
create or replace function public.server_heartbeat(p_id text, p_region text)
returns void
language sql
as $$
  insert into public.game_servers (id, region, last_heartbeat)
  values (p_id, p_region, now())
  on conflict (id) do update set last_heartbeat = excluded.last_heartbeat;
$$;
