create table public.sessions (
  id          uuid primary key default gen_random_uuid(),
  user_id     uuid not null,
  expires_at  timestamptz not null,
  last_seen   timestamptz not null default now()
);

alter table public.sessions enable row level security;

-- Sessões válidas visíveis para o dono
create policy "own live sessions" on public.sessions
  for select
  using (user_id = auth.uid() and expires_at > clock_timestamp());  -- expect: ARM101

create policy "own sessions (delete)" on public.sessions
  for delete
  using (user_id = auth.uid() and expires_at > now());  -- ok

create or replace function public.refresh_session(p_id uuid)
returns void
language plpgsql
as $$
begin
  update public.sessions
     set expires_at = clock_timestamp() + interval '1 hour'  -- expect: ARM101
   where id = p_id;
  raise notice 'session % refreshed at %', p_id, clock_timestamp();  -- ok: notice
end;
$$;

create or replace function public.session_seen(p_id uuid)
returns void
language sql
as $$
  update public.sessions set last_seen = now() where id = p_id;  -- ok
$$;

-- limpeza de sessões abandonadas (não é detecção de nó)
delete from public.sessions where last_seen < now() - interval '30 days';  -- ok: session retention
