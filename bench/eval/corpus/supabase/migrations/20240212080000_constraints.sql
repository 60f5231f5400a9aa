create table public.resource_leases (
  resource     text primary key,
  holder       text not null,
  acquired_at  timestamptz not null default now(),
  lease_until  timestamptz not null,
  constraint lease_in_future check (lease_until > clock_timestamp()),  -- expect: ARM101
  constraint lease_after_acquire check (lease_until > acquired_at)     -- ok
);

create table public.coupons (
  code        text primary key,
  valid_from  timestamptz not null default now(),
  valid_until timestamptz not null,
  constraint coupon_window check (valid_until > valid_from)  -- ok
);

create or replace function public.coupon_is_valid(p_code text)
returns boolean
language plpgsql
stable
as $$
declare
  v_until timestamptz;
begin
  select valid_until into v_until from public.coupons where code = p_code;
  if v_until is null or v_until < clock_timestamp() then  -- expect: ARM101
    return false;
  end if;
  return true;
end;
$$;
