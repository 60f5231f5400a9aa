-- Payments: provider charges and webhooks (Stripe / Mercado Pago).
create table public.payments (
  id                   bigint generated always as identity primary key,
  order_id             bigint not null,
  provider             text not null,
  provider_payment_id  text not null,
  amount_cents         bigint not null,
  status               text not null,
  created_at           timestamptz not null default now()
);

create table public.stripe_webhook_events (
  event_id    text primary key,
  type        text not null,
  payload     jsonb not null,
  received_at timestamptz not null default now()
);

create or replace function public.record_mp_payment(p_order bigint, p_mp_id text, p_amount bigint, p_status text)
returns void
language plpgsql
as $$
begin
  insert into public.payments (order_id, provider, provider_payment_id, amount_cents, status)  -- expect: ARM403
  values (p_order, 'mercadopago', p_mp_id, p_amount, p_status);
end;
$$;

create or replace function public.record_stripe_webhook(p_id text, p_type text, p_payload jsonb)
returns boolean
language plpgsql
as $$
begin
  insert into public.stripe_webhook_events (event_id, type, payload)
  values (p_id, p_type, p_payload)
  on conflict (event_id) do nothing;  -- ok
  return found;
end;
$$;

create or replace function public.record_refund_webhook(p_refund_id text, p_payment text, p_amount bigint)
returns void
language sql
as $$
  insert into public.refund_webhooks (external_id, payment_ref, amount_cents)  -- expect: ARM403
  values (p_refund_id, p_payment, p_amount);
$$;

-- ok: reporting view
create or replace view public.daily_revenue as
select date_trunc('day', created_at) as day, sum(amount_cents) as cents
  from public.payments
 where status = 'approved'
 group by 1;

-- ok: admin CRUD of price plans
insert into public.plans (code, name, monthly_cents) values ('pro', 'Pro', 9900);
