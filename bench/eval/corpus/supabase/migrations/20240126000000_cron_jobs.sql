create extension if not exists pg_cron;

select cron.schedule('reap-dead-instances', '* * * * *',
  $$delete from public.instances where last_heartbeat < now() - interval '90 seconds'$$);  -- expect: ARM302

select cron.schedule('purge-expired-tokens', '0 * * * *',
  $$delete from public.api_tokens where expires_at < now()$$);  -- ok: token expiry with now()

select cron.schedule('purge-old-events', '30 3 * * *',
  $$delete from public.events where created_at < now() - interval '90 days'$$);  -- ok: retention

select cron.schedule('refresh-mv', '*/5 * * * *', 'refresh materialized view concurrently public.daily_sales');  -- ok
