-- Leilões: lances e eventos do pregão.
create table public.auctions (
  id         bigint generated always as identity primary key,
  lot_id     bigint not null,
  opens_at   timestamptz not null default now(),
  closes_at  timestamptz not null,
  status     text not null default 'open'
);

create table public.bids (
  id          bigint generated always as identity primary key,
  auction_id  bigint not null references public.auctions(id),
  bidder_id   uuid not null,
  amount      numeric(14, 2) not null,
  placed_at   timestamptz not null default clock_timestamp(),  -- expect: ARM102
  idempotency_key text unique
);

-- winner = highest amount, ties broken by earliest placed_at (bids come from many API pods)
create or replace view public.auction_leaders as
select distinct on (auction_id) auction_id, bidder_id, amount, placed_at
  from public.bids
 order by auction_id, amount desc, placed_at asc;

create or replace function public.place_bid(p_auction bigint, p_bidder uuid, p_amount numeric, p_key text)
returns bigint
language plpgsql
as $$
declare
  v_id bigint;
begin
  perform 1 from public.auctions
   where id = p_auction and status = 'open' and closes_at > clock_timestamp()  -- expect: ARM101
   for update;
  if not found then
    raise exception 'auction % closed', p_auction;
  end if;

  insert into public.bids (auction_id, bidder_id, amount, idempotency_key)
  values (p_auction, p_bidder, p_amount, p_key)
  on conflict (idempotency_key) do nothing  -- ok
  returning id into v_id;

  insert into public.auction_timeline (auction_id, kind, occurred_at)
  values (p_auction, 'bid', clock_timestamp());  -- expect: ARM102
  return v_id;
end;
$$;

create or replace function public.close_due_auctions()
returns int
language plpgsql
as $$
declare
  n int;
begin
  update public.auctions set status = 'closed'
   where status = 'open' and closes_at <= now();  -- ok: now()
  get diagnostics n = row_count;
  raise log 'closed % auctions at %', n, clock_timestamp();  -- ok: log
  return n;
end;
$$;

select cron.schedule('close-auctions', '* * * * *', 'select public.close_due_auctions()');

create or replace view public.auction_feed as
select auction_id, kind, occurred_at
  from public.auction_timeline
 order by occurred_at desc;
