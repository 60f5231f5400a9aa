-- SaaS billing: renovação de assinaturas e webhooks do Stripe

create table if not exists public.subscriptions (
    id              uuid primary key default gen_random_uuid(),
    workspace_id    uuid not null,
    plan            text not null,
    status          text not null default 'active',
    valid_until     timestamptz not null,
    created_at      timestamptz not null default now(),  -- ok
    updated_at      timestamptz not null default now()   -- ok
);

create table if not exists public.stripe_events (
    id            bigint generated always as identity primary key,
    stripe_event_id text not null,
    type          text not null,
    payload       jsonb not null,
    received_at   timestamptz not null default now()
);

-- Chamado pelo handler de invoice.paid
create or replace function public.renew_subscription(p_sub uuid, p_months int default 1)
returns void
language plpgsql
as $$
begin
    update public.subscriptions
       set status = 'active',
           valid_until = greatest(valid_until, clock_timestamp()) + make_interval(months => p_months),  -- expect: ARM101
           updated_at = now()
     where id = p_sub;
end;
$$;

create or replace function public.renew_subscription_v2(p_sub uuid, p_months int default 1)
returns void
language sql
as $$
    update public.subscriptions
       set status = 'active',
           valid_until = greatest(valid_until, now()) + make_interval(months => p_months),  -- ok
           updated_at = now()
     where id = p_sub;
$$;

-- Webhook handler grava o evento bruto antes de processar
create or replace function public.ingest_stripe_event(p_event_id text, p_type text, p_payload jsonb)
returns void
language plpgsql
as $$
begin
    insert into public.stripe_events (stripe_event_id, type, payload)  -- expect: ARM403
    values (p_event_id, p_type, p_payload);
    perform pg_notify('stripe_events', p_event_id);
end;
$$;

-- Geração de fatura no fechamento do ciclo (CRUD interno)
create or replace function public.create_invoice(p_sub uuid, p_amount numeric)
returns uuid
language plpgsql
as $$
declare
    v_id uuid;
    t0 timestamptz := clock_timestamp();
begin
    insert into public.invoices (subscription_id, amount, due_date)  -- ok: CRUD, no external id
    values (p_sub, p_amount, current_date + 5)
    returning id into v_id;
    raise debug 'create_invoice took %', clock_timestamp() - t0;  -- ok
    return v_id;
end;
$$;

-- Acesso às features pagas: só enquanto a assinatura estiver válida
create or replace view public.active_workspaces as
select workspace_id, plan
  from public.subscriptions
 where status = 'active'
   and valid_until > clock_timestamp();  -- expect: ARM101

-- Expira assinaturas vencidas (pg_cron, a cada hora)
select cron.schedule('expire-subscriptions', '0 * * * *', $$
    update public.subscriptions
       set status = 'expired'
     where status = 'active' and valid_until < now()   -- ok: now(), business expiry
$$);
