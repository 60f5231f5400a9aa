-- Event log written by several Edge Functions
create sequence if not exists public.events_seq;

create table public.events (
  id           bigint generated always as identity primary key,
  kind         text not null,
  payload      jsonb not null default '{}'::jsonb,
  occurred_at  timestamptz not null default clock_timestamp(),  -- expect: ARM102
  created_at   timestamptz not null default now()               -- ok
);

create index events_occurred_at_idx on public.events (occurred_at desc);

create or replace function public.emit_event(p_kind text, p_payload jsonb)
returns void
language plpgsql
as $$
begin
  insert into public.events (kind, payload, occurred_at)
  values (p_kind, p_payload, clock_timestamp());  -- expect: ARM102
end;
$$;

create or replace view public.recent_events as
  select * from public.events order by occurred_at desc limit 100;

-- versão nova: ordenação por sequência (ok)
create table public.events_v2 (
  event_seq    bigint not null default nextval('public.events_seq') primary key,
  kind         text not null,
  payload      jsonb not null,
  created_at   timestamptz not null default now()
);

create or replace view public.recent_events_v2 as
  select * from public.events_v2 order by event_seq desc limit 100;
