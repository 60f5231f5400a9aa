-- Trip offers: each trip is offered to one driver at a time with a short window.
-- Migrations + helper functions used by the dispatcher.

create table if not exists public.trip_offers (
    id          bigint generated always as identity primary key,
    trip_id     uuid not null references public.trips(id),
    driver_id   uuid not null references public.drivers(id),
    status      text not null default 'pending' check (status in ('pending','accepted','declined','expired')),
    created_at  timestamptz not null default now(),  -- ok: created_at default now()
    expires_at  timestamptz not null
);

create index if not exists trip_offers_pending_idx on public.trip_offers (driver_id) where status = 'pending';

-- Oferece a corrida para o motorista; janela de 15s
create or replace function public.offer_trip(p_trip uuid, p_driver uuid)
returns bigint
language plpgsql
as $$
declare
    v_id bigint;
begin
    insert into public.trip_offers (trip_id, driver_id, expires_at)
    values (p_trip, p_driver, clock_timestamp() + interval '15 seconds')  -- expect: ARM101
    returning id into v_id;
    return v_id;
end;
$$;

-- Motorista aceita: só vale se a oferta ainda não expirou
create or replace function public.accept_offer(p_offer bigint, p_driver uuid)
returns boolean
language plpgsql
as $$
declare
    n int;
begin
    update public.trip_offers
       set status = 'accepted'
     where id = p_offer
       and driver_id = p_driver
       and status = 'pending'
       and expires_at > clock_timestamp();  -- expect: ARM101
    get diagnostics n = row_count;
    return n = 1;
end;
$$;

-- Versão corrigida usada pelo app novo
create or replace function public.accept_offer_v2(p_offer bigint, p_driver uuid)
returns boolean
language sql
as $$
    update public.trip_offers
       set status = 'accepted'
     where id = p_offer
       and driver_id = p_driver
       and status = 'pending'
       and expires_at > now()   -- ok: transaction time
    returning true;
$$;

-- Expira ofertas vencidas (roda via pg_cron a cada 10s)
create or replace function public.expire_offers()
returns void
language plpgsql
as $$
declare
    t0 timestamptz := clock_timestamp();  -- ok: profiling only
    n  int;
begin
    update public.trip_offers
       set status = 'expired'
     where status = 'pending'
       and expires_at <= now();  -- ok
    get diagnostics n = row_count;
    raise log 'expire_offers: % rows in %', n, clock_timestamp() - t0;  -- ok: log output
end;
$$;
