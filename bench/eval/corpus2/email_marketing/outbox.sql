-- Email marketing: outbox + tracking tables

create table if not exists public.email_outbox (
    id             bigint generated always as identity primary key,
    campaign_id    uuid not null,
    recipient_id   uuid not null,
    template       text not null,
    status         text not null default 'queued',
    created_at     timestamptz not null default now(),  -- ok
    unique (campaign_id, recipient_id)
);

create table if not exists public.email_delivery_log (
    id            bigint generated always as identity primary key,
    delivery_id   text not null,
    provider      text not null,
    status        text not null,
    logged_at     timestamptz not null default now()
);

-- Enfileira destinatários da campanha (idempotente)
create or replace function public.enqueue_campaign(p_campaign uuid)
returns bigint
language plpgsql
as $$
declare
    n bigint;
    t0 timestamptz := clock_timestamp();  -- ok: elapsed
begin
    insert into public.email_outbox (campaign_id, recipient_id, template)
    select p_campaign, s.id, c.template
      from public.list_subscribers s
      join public.campaigns c on c.list_id = s.list_id
     where c.id = p_campaign and s.unsubscribed_at is null
    on conflict (campaign_id, recipient_id) do nothing;  -- ok
    get diagnostics n = row_count;
    raise notice 'enqueued % recipients in %', n, clock_timestamp() - t0;  -- ok
    return n;
end;
$$;

-- Callback do provedor (Sendgrid event webhook) gravando status por entrega
create or replace function public.record_delivery(p_delivery_id text, p_provider text, p_status text)
returns void
language sql
as $$
    insert into public.email_delivery_log (delivery_id, provider, status)  -- expect: ARM403
    values (p_delivery_id, p_provider, p_status);
$$;

-- Links de descadastro expiram em 30 dias
create table if not exists public.unsubscribe_tokens (
    token       text primary key,
    subscriber  uuid not null,
    expires_at  timestamptz not null default now() + interval '30 days'  -- ok
);

-- Limpeza diária (pg_cron)
select cron.schedule('purge-unsub-tokens', '15 3 * * *',
    $$delete from public.unsubscribe_tokens where expires_at < now()$$);  -- ok: TTL cleanup, now()

select cron.schedule('purge-delivery-log', '30 3 * * *',
    $$delete from public.email_delivery_log where logged_at < now() - interval '180 days'$$);  -- ok: retention
