create or replace view public.active_invites as
select id, email, org_id, valid_until
  from public.invites
 where valid_until > clock_timestamp();  -- expect: ARM101

create or replace view public.active_subscriptions as
select s.*
  from public.subscriptions s
 where s.current_period_end > now();  -- ok

create or replace view public.invite_age as
select id, now() - created_at as age, created_at  -- ok: display age
  from public.invites;

create or replace view public.expiring_soon as
select id, email
  from public.invites
 where valid_until between now() and now() + interval '1 day';  -- ok

create or replace view public.slow_queries_now as
select pid, clock_timestamp() - query_start as running_for, query  -- ok: elapsed for display
  from pg_stat_activity
 where state = 'active';
