-- Rastreio: eventos de rastreamento e pings dos motoristas.

create table public.tracking_events (
  id           bigint generated always as identity primary key,
  event_id     text not null unique,
  shipment_id  text not null,
  status       text not null,
  occurred_at  timestamptz not null default clock_timestamp(),  -- expect: ARM102
  created_at   timestamptz not null default now()
);

create index on public.tracking_events (shipment_id, occurred_at);

-- timeline shown to customers; events come from several ingest workers
create or replace view public.shipment_timeline as
select shipment_id, status, occurred_at
  from public.tracking_events
 order by shipment_id, occurred_at;

create table public.driver_events (
  seq         bigint generated always as identity primary key,  -- ordering key
  driver_id   uuid not null,
  kind        text not null,
  recorded_at timestamptz not null default now()  -- ok: default now()
);

create or replace function public.ingest_partner_event(p_event_id text, p_shipment text, p_status text)
returns void
language plpgsql
as $$
begin
  insert into public.tracking_events (event_id, shipment_id, status)  -- expect: ARM403
  values (p_event_id, p_shipment, p_status);
end;
$$;

create or replace function public.ingest_partner_event_v2(p_event_id text, p_shipment text, p_status text)
returns void
language plpgsql
as $$
begin
  insert into public.tracking_events (event_id, shipment_id, status)
  values (p_event_id, p_shipment, p_status)
  on conflict (event_id) do nothing;  -- ok: ON CONFLICT
end;
$$;

create or replace function public.record_driver_status(p_driver uuid, p_kind text)
returns void
language plpgsql
as $$
begin
  insert into public.driver_status_log (driver_id, kind, event_time)
  values (p_driver, p_kind, clock_timestamp());  -- expect: ARM102
end;
$$;

create or replace view public.driver_status_feed as
select driver_id, kind, event_time
  from public.driver_status_log
 order by event_time desc;

-- ok: ordinary CRUD
insert into public.shipment_statuses (code, label) values ('delivered', 'Entregue'), ('in_transit', 'Em trânsito');
