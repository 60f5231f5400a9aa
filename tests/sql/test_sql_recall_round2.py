"""ARM101/ARM102 recall on shapes a third labelled corpus exposed: deadlines named for when
something closes (`closes_at`, `ends_on`) checked inside a PL/pgSQL PERFORM, and event stamps
(`placed_at`, `sent_at`) that a view orders by as a tie-breaker, not as the first key."""
from __future__ import annotations

from analyzers import Settings, analyze

PATH = "supabase/migrations/20240515100000_auctions.sql"


def found(sql: str, *rules: str) -> list[tuple[str, int]]:
    report = analyze(PATH, sql, Settings(select=frozenset(rules)))
    assert report.notes == [], report.notes
    return [(f.rule, f.line) for f in report.findings]


def test_auction_close_checked_with_the_wall_clock_inside_perform():
    sql = """create or replace function public.place_bid(p_auction bigint, p_amount numeric)
returns void
language plpgsql
as $$
begin
  perform 1 from public.auctions
   where id = p_auction and status = 'open' and closes_at > clock_timestamp()
   for update;
  if not found then
    raise exception 'auction % closed', p_auction;
  end if;
  update public.sales set ends_on = clock_timestamp() + interval '3 days' where auction_id = p_auction;
  update public.polls set close_at = timeofday()::timestamptz + interval '1 hour' where id = p_auction;
end $$;
"""
    assert found(sql, "ARM101") == [("ARM101", 7), ("ARM101", 12), ("ARM101", 13)]


def test_closing_columns_checked_with_now_or_stamped_for_display_stay_clean():
    sql = """create or replace function public.place_bid(p_auction bigint) returns void
language plpgsql as $$
declare
  t0 timestamptz := clock_timestamp();
begin
  perform 1 from public.auctions where id = p_auction and closes_at > now() for update;
  -- closed_at records when it happened; no one compares it with a clock later
  update public.auctions set closed_at = clock_timestamp(), enclosure = 'b' where id = p_auction;
  raise notice 'closing check took %', clock_timestamp() - t0;
end $$;
"""
    assert found(sql, "ARM101") == []


def test_bid_stamp_ordered_as_a_tie_breaker_in_a_view():
    sql = """create table public.bids (
  id          bigint generated always as identity primary key,
  auction_id  bigint not null,
  amount      numeric(14, 2) not null,
  placed_at   timestamptz not null default clock_timestamp()
);

-- winner: highest amount, ties broken by the earliest bid
create or replace view public.auction_leaders as
select distinct on (auction_id) auction_id, amount, placed_at
  from public.bids
 order by auction_id, amount desc, placed_at asc;
"""
    assert found(sql, "ARM102") == [("ARM102", 5)]


def test_notification_sent_at_ordered_in_a_window_function():
    sql = """insert into public.notifications (user_id, body, sent_at)
values ($1, $2, clock_timestamp());

select id, row_number() over (partition by user_id order by sent_at desc) as rank
  from public.notifications;
"""
    assert found(sql, "ARM102") == [("ARM102", 2)]


def test_stamps_nobody_orders_by_stay_clean():
    sql = """create table public.bids (
  id          bigint generated always as identity primary key,
  auction_id  bigint not null,
  amount      numeric(14, 2) not null,
  placed_at   timestamptz not null default clock_timestamp()
);

-- ordered by an expression over other columns, and by the identity: placed_at is display only
select * from public.bids order by coalesce(amount, 0) desc, id limit 10;
select auction_id, max(amount) from public.bids group by auction_id order by auction_id;
"""
    assert found(sql, "ARM102") == []


def test_ordering_by_a_column_with_now_stays_clean():
    sql = """create table public.bids (
  id bigint generated always as identity primary key,
  placed_at timestamptz not null default now()
);
select * from public.bids order by id, placed_at;
"""
    assert found(sql, "ARM102") == []
