-- Pipeline de eventos: tabela de landing + funções chamadas pelo consumer (via RPC)

create sequence if not exists public.pipeline_events_seq;

create table if not exists public.pipeline_events (
    seq          bigint primary key default nextval('public.pipeline_events_seq'),  -- ok: ordering key
    source       text not null,
    partition_no int not null,
    kafka_offset bigint not null,
    kind         text not null,
    body         jsonb not null,
    occurred_at  timestamptz not null,
    ingested_at  timestamptz not null default now()   -- ok
);

create table if not exists public.pipeline_audit (
    id        bigint generated always as identity primary key,
    step      text not null,
    took      interval,
    at        timestamptz not null default statement_timestamp()  -- ok: log stamp
);

-- Chamado por cada consumer (N réplicas em regiões diferentes)
create or replace function public.ingest_event(p_source text, p_partition int, p_offset bigint, p_kind text, p_body jsonb)
returns void
language plpgsql
as $$
begin
    insert into public.pipeline_events (source, partition_no, kafka_offset, kind, body, occurred_at)
    values (p_source, p_partition, p_offset, p_kind, p_body, clock_timestamp())  -- expect: ARM102
    on conflict do nothing;
end;
$$;

-- Consumidores downstream leem "os eventos mais recentes" assim:
create or replace view public.latest_pipeline_events as
select * from public.pipeline_events order by occurred_at desc limit 1000;

-- Reprocessamento manual: mede a duração e grava no audit
do $$
declare
    t0 timestamptz := clock_timestamp();  -- ok
    n  bigint;
begin
    update public.pipeline_events set body = body || '{"reprocessed": true}'
     where kind = 'order.created' and ingested_at > now() - interval '1 day';
    get diagnostics n = row_count;
    insert into public.pipeline_audit (step, took) values ('reprocess-orders', clock_timestamp() - t0);  -- ok: elapsed
    raise notice 'reprocessed % events', n;
end $$;

-- Watermark por partição: avança com a transação
create table if not exists public.partition_watermarks (
    source       text not null,
    partition_no int not null,
    last_offset  bigint not null,
    updated_at   timestamptz not null default now(),
    primary key (source, partition_no)
);

create or replace function public.advance_watermark(p_source text, p_partition int, p_offset bigint)
returns void
language sql
as $$
    insert into public.partition_watermarks (source, partition_no, last_offset)
    values (p_source, p_partition, p_offset)
    on conflict (source, partition_no) do update
       set last_offset = greatest(partition_watermarks.last_offset, excluded.last_offset),
           updated_at = now();   -- ok
$$;
