-- Estoque: reservas temporárias (holds) com TTL.
create table public.inventory_holds (
  id          bigint generated always as identity primary key,
  sku         text not null,
  qty         int not null check (qty > 0),
  cart_id     uuid not null,
  expires_at  timestamptz not null,
  created_at  timestamptz not null default now()
);

create or replace function public.hold_stock(p_sku text, p_qty int, p_cart uuid)
returns bigint
language plpgsql
as $$
declare
  v_id bigint;
  v_started timestamptz := clock_timestamp();  -- ok: elapsed measurement below
begin
  update public.stock set available = available - p_qty
   where sku = p_sku and available >= p_qty;
  if not found then
    raise exception 'insufficient stock for %', p_sku;
  end if;

  insert into public.inventory_holds (sku, qty, cart_id, expires_at)
  values (p_sku, p_qty, p_cart, clock_timestamp() + interval '15 minutes')  -- expect: ARM101
  returning id into v_id;

  raise debug 'hold_stock took %', clock_timestamp() - v_started;  -- ok: log output
  return v_id;
end;
$$;

create or replace function public.release_expired_holds()
returns int
language plpgsql
as $$
declare
  v_n int;
begin
  with gone as (
    delete from public.inventory_holds
     where expires_at < clock_timestamp()  -- expect: ARM101
    returning sku, qty
  )
  update public.stock s set available = s.available + g.qty
    from gone g where s.sku = g.sku;
  get diagnostics v_n = row_count;
  return v_n;
end;
$$;

create or replace function public.extend_hold(p_id bigint)
returns void
language sql
as $$
  update public.inventory_holds
     set expires_at = now() + interval '5 minutes'  -- ok: now()
   where id = p_id and expires_at > now();
$$;

create or replace view public.active_holds as
select h.*, greatest(0, extract(epoch from h.expires_at - now()))::int as seconds_left  -- ok: now()
  from public.inventory_holds h
 where h.expires_at > now();

-- backfill script run once by hand, timing each step
do $$
declare
  t0 timestamptz;
begin
  t0 := clock_timestamp();  -- ok: profiling
  update public.inventory_holds set created_at = coalesce(created_at, now());
  raise notice 'backfill: %', clock_timestamp() - t0;
end $$;

-- ok: CRUD seed data
insert into public.stock (sku, available) values ('TSHIRT-M', 100), ('TSHIRT-G', 80)
on conflict (sku) do update set available = excluded.available;
