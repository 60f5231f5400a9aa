create table public.activity_feed (
  id          bigint generated always as identity primary key,
  actor_id    uuid not null,
  verb        text not null,
  object_id   uuid,
  happened_at timestamptz not null
);

create index on public.activity_feed (actor_id, happened_at desc);

create or replace function private.set_happened_at()
returns trigger
language plpgsql
as $$
begin
  new.happened_at := clock_timestamp();  -- expect: ARM102
  return new;
end;
$$;

create trigger activity_feed_happened_at
  before insert on public.activity_feed
  for each row execute function private.set_happened_at();

-- audit with duration measured inside the function (ok)
create table private.slow_calls (
  id          bigint generated always as identity primary key,
  fn          text not null,
  duration_ms numeric not null,
  logged_at   timestamptz not null default now()
);

create or replace function private.refresh_feed_cache(p_actor uuid)
returns void
language plpgsql
as $$
declare
  t0 timestamptz := clock_timestamp();   -- ok: elapsed measurement
begin
  delete from private.feed_cache where actor_id = p_actor;
  insert into private.feed_cache (actor_id, items)
  select p_actor, jsonb_agg(f order by f.id desc)
    from public.activity_feed f where f.actor_id = p_actor;
  insert into private.slow_calls (fn, duration_ms)
  values ('refresh_feed_cache', extract(epoch from clock_timestamp() - t0) * 1000);  -- ok: duration
  raise debug 'stmt % / txn %', statement_timestamp(), transaction_timestamp();  -- ok
end;
$$;
