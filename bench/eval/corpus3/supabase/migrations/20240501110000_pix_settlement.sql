-- Exchange: liquidação PIX, callbacks do PSP.
create sequence if not exists public.settlement_fence_seq;

create table public.pix_webhook_events (
  id             bigint generated always as identity primary key,
  end_to_end_id  text not null,
  txid           text,
  payload        jsonb not null,
  received_at    timestamptz not null default now()
);

create table public.settlement_runs (
  id          bigint generated always as identity primary key,
  started_at  timestamptz not null default now(),
  finished_at timestamptz,
  last_token  bigint not null default 0
);

create or replace function public.on_pix_callback(p_e2e text, p_txid text, p_payload jsonb)
returns void
language plpgsql
security definer
as $$
begin
  insert into public.pix_webhook_events (end_to_end_id, txid, payload)  -- expect: ARM403
  values (p_e2e, p_txid, p_payload);
  update public.deposits set status = 'credited' where txid = p_txid;
end;
$$;

create unique index if not exists pix_webhook_events_e2e on public.pix_webhook_events (end_to_end_id);

create or replace function public.on_pix_callback_v2(p_e2e text, p_txid text, p_payload jsonb)
returns void
language plpgsql
security definer
as $$
begin
  insert into public.pix_webhook_events (end_to_end_id, txid, payload)
  values (p_e2e, p_txid, p_payload)
  on conflict (end_to_end_id) do nothing;  -- ok
  if found then
    update public.deposits set status = 'credited' where txid = p_txid;
  end if;
end;
$$;

-- batch de liquidação: lock de sessão (pooler em modo session)
create or replace function public.run_settlement_batch()
returns int
language plpgsql
as $$
declare
  v_count int;
begin
  if not pg_try_advisory_lock(hashtext('pix-settlement')) then  -- expect: ARM202
    return 0;
  end if;
  update public.withdrawals set status = 'settling' where status = 'approved';
  get diagnostics v_count = row_count;
  insert into public.settlement_runs (finished_at) values (now());
  perform pg_advisory_unlock(hashtext('pix-settlement'));
  return v_count;
end;
$$;

-- ok: canonical fenced version
create or replace function public.run_settlement_batch_v2()
returns int
language plpgsql
as $$
declare
  v_token bigint;
  v_count int;
begin
  perform pg_advisory_xact_lock(hashtext('pix-settlement'));
  v_token := nextval('public.settlement_fence_seq');
  update public.settlement_runs set last_token = v_token
   where id = (select max(id) from public.settlement_runs) and last_token < v_token;
  update public.withdrawals set status = 'settling' where status = 'approved';
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

do $$
declare
  t0 timestamptz := clock_timestamp();  -- ok: elapsed measurement
  n  bigint;
begin
  select count(*) into n from public.withdrawals where status = 'approved';
  raise notice 'pending=% counted in %', n, clock_timestamp() - t0;  -- ok
end $$;

-- ok: crypto price quotes; validity from now()
create table public.price_quotes (
  id          bigint generated always as identity primary key,
  pair        text not null,
  price       numeric(20, 8) not null,
  valid_until timestamptz not null default now() + interval '15 seconds'
);

create or replace function public.quote_price(p_pair text, p_price numeric)
returns bigint
language sql
as $$
  insert into public.price_quotes (pair, price, valid_until)
  values (p_pair, p_price, clock_timestamp() + interval '15 seconds')  -- expect: ARM101
  returning id;
$$;
