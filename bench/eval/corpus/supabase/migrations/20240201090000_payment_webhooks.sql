create table public.webhook_events (
  event_id    text primary key,
  provider    text not null,
  payload     jsonb not null,
  received_at timestamptz not null default now()
);

create table public.payments (
  id                   bigint generated always as identity primary key,
  provider_payment_id  text not null unique,
  order_id             bigint not null,
  amount_cents         integer not null,
  status               text not null
);

-- chamada pela Edge Function stripe-webhook (Stripe reenvia em caso de erro)
create or replace function public.record_stripe_event(p_event_id text, p_payload jsonb)
returns void
language plpgsql
security definer
as $$
begin
  insert into public.webhook_events (event_id, provider, payload)  -- expect: ARM403
  values (p_event_id, 'stripe', p_payload);

  if p_payload->>'type' = 'payment_intent.succeeded' then
    insert into public.payments (provider_payment_id, order_id, amount_cents, status)  -- expect: ARM403
    values (
      p_payload#>>'{data,object,id}',
      (p_payload#>>'{data,object,metadata,order_id}')::bigint,
      (p_payload#>>'{data,object,amount}')::int,
      'succeeded'
    );
  end if;
end;
$$;

-- ok: idempotent version
create or replace function public.record_mp_event(p_event_id text, p_payload jsonb)
returns boolean
language plpgsql
security definer
as $$
begin
  insert into public.webhook_events (event_id, provider, payload)
  values (p_event_id, 'mercadopago', p_payload)
  on conflict (event_id) do nothing;
  if not found then
    return false;
  end if;
  insert into public.payments (provider_payment_id, order_id, amount_cents, status)
  values (p_payload#>>'{data,id}', (p_payload->>'external_reference')::bigint, 0, 'pending')
  on conflict (provider_payment_id) do update set status = excluded.status;
  return true;
end;
$$;

-- ok: new-user trigger, ordinary CRUD
create or replace function public.handle_new_user()
returns trigger language plpgsql security definer as $$
begin
  insert into public.profiles (id, full_name) values (new.id, new.raw_user_meta_data->>'full_name');
  return new;
end;
$$;
