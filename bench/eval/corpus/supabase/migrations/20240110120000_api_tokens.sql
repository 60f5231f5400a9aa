-- API tokens for machine clients
create table if not exists public.api_tokens (
  id          bigint generated always as identity primary key,
  token       text not null unique,
  owner_id    uuid not null references auth.users (id) on delete cascade,
  created_at  timestamptz not null default now(),          -- ok: created_at default now()
  expires_at  timestamptz not null default clock_timestamp() + interval '30 days'  -- expect: ARM101
);

create or replace function public.issue_api_token(p_owner uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_token text := encode(extensions.gen_random_bytes(24), 'hex');
begin
  insert into public.api_tokens (token, owner_id, expires_at)
  values (v_token, p_owner, clock_timestamp() + interval '24 hours');  -- expect: ARM101
  return v_token;
end;
$$;

-- validação: now() é o início da transação (ok)
create or replace function public.validate_api_token(p_token text)
returns uuid
language sql
stable
as $$
  select owner_id
    from public.api_tokens
   where token = p_token
     and expires_at > now();  -- ok: now()
$$;

create or replace function public.touch_api_token(p_token text)
returns void
language plpgsql
as $$
begin
  update public.api_tokens
     set expires_at = now() + interval '24 hours'   -- ok: now()
   where token = p_token;
  raise log 'token refreshed at %', clock_timestamp();  -- ok: log output
end;
$$;
