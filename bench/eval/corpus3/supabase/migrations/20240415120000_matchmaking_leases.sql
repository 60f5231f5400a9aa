-- Matchmaking: lobby leases and fenced roster writes.
create sequence if not exists public.fencing_tokens_seq;

create table public.lobby_leases (
  lobby_id    uuid primary key,
  holder      text,
  expires_at  timestamptz not null default now(),
  last_token  bigint not null default 0
);

create table public.lobbies (
  id          uuid primary key,
  roster      jsonb not null default '[]',
  state       text not null default 'open',
  last_token  bigint not null default 0,
  updated_at  timestamptz not null default now()
);

-- v1: lease row; the holder then writes the roster with no token check
create or replace function public.mm_acquire_lobby(p_lobby uuid, p_node text)
returns boolean
language plpgsql
as $$
begin
  update public.lobby_leases  -- expect: ARM202
     set holder = p_node, expires_at = now() + interval '10 seconds'
   where lobby_id = p_lobby and expires_at < now();
  if not found then
    return false;
  end if;
  update public.lobbies set state = 'locked', updated_at = now() where id = p_lobby;
  return true;
end;
$$;

-- v2: lease computed from clock_timestamp()
create or replace function public.mm_renew_lobby(p_lobby uuid, p_node text)
returns void
language plpgsql
as $$
begin
  update public.lobby_leases
     set lease_until = clock_timestamp() + interval '10 seconds'  -- expect: ARM101
   where lobby_id = p_lobby and holder = p_node;
end;
$$;

-- v3 (canonical): xact lock + sequence token + fenced update
create or replace function public.mm_write_roster(p_lobby uuid, p_roster jsonb)
returns boolean
language plpgsql
as $$
declare
  v_token bigint;
begin
  perform pg_advisory_xact_lock(hashtext('lobby:' || p_lobby::text));  -- ok: canonical
  v_token := nextval('public.fencing_tokens_seq');
  update public.lobbies
     set roster = p_roster, last_token = v_token, updated_at = now()
   where id = p_lobby and last_token < v_token;
  return found;
end;
$$;

-- session-level lock held by the matchmaker's pooled connection across many statements
create or replace function public.mm_start_season(p_season int)
returns void
language plpgsql
as $$
begin
  perform pg_advisory_lock(90210);  -- expect: ARM202
  update public.seasons set active = false where active;
  update public.seasons set active = true, started_at = now() where id = p_season;
  perform pg_advisory_unlock(90210);
end;
$$;

-- ok: xact lock, whole critical section inside one transaction, no external call
create or replace function public.mm_recount_players(p_region text)
returns void
language plpgsql
as $$
begin
  perform pg_advisory_xact_lock(hashtext('recount:' || p_region));
  update public.region_stats
     set players = (select count(*) from public.players where region = p_region)
   where region = p_region;
end;
$$;
