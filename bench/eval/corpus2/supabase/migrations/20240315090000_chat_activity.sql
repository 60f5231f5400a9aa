-- Chat: room events (join/leave/edit/delete) + gateway registry

create sequence if not exists public.room_activity_seq;

create table public.room_activity (
    id           bigint primary key default nextval('public.room_activity_seq'),
    room_id      uuid not null,
    actor_id     uuid not null,
    kind         text not null,
    payload      jsonb not null default '{}',
    occurred_at  timestamptz not null default clock_timestamp()  -- expect: ARM102
);

create index room_activity_room_time_idx on public.room_activity (room_id, occurred_at desc);

-- Timeline da sala: ordenada por occurred_at (vinda de várias edge functions)
create or replace view public.room_timeline as
select room_id, actor_id, kind, payload, occurred_at
  from public.room_activity
 order by occurred_at desc;

create table public.message_edits (
    id          bigint generated always as identity primary key,  -- ok: identity for ordering
    message_id  uuid not null,
    editor_id   uuid not null,
    body        text not null,
    created_at  timestamptz not null default now()   -- ok
);

create or replace function public.log_room_activity(p_room uuid, p_actor uuid, p_kind text, p_payload jsonb)
returns void
language plpgsql
security definer
as $$
begin
    insert into public.room_activity (room_id, actor_id, kind, payload, occurred_at)
    values (p_room, p_actor, p_kind, p_payload, clock_timestamp());  -- expect: ARM102
end;
$$;

-- Gateways de websocket
create table public.ws_gateways (
    node_id    text primary key,
    region     text not null,
    status     text not null default 'up',
    last_ping  timestamptz not null default now(),
    rtt_p99_ms numeric not null default 500
);

-- Limpeza de gateways mortos (pg_cron a cada 30s)
create or replace function public.reap_ws_gateways()
returns void
language sql
as $$
    delete from public.ws_gateways  -- expect: ARM302
     where last_ping < now() - interval '30 seconds';
$$;

create or replace function public.reap_ws_gateways_adaptive()
returns void
language sql
as $$
    update public.ws_gateways  -- ok: adaptive threshold
       set status = 'suspected'
     where extract(epoch from (now() - last_ping)) * 1000 >= 3 * rtt_p99_ms;
$$;

alter table public.room_activity enable row level security;
create policy room_activity_members on public.room_activity
    for select using (
        exists (select 1 from public.room_members rm
                 where rm.room_id = room_activity.room_id and rm.user_id = auth.uid())
    );
