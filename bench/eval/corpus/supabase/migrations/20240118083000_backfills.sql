-- Backfill de convites antigos + profiling
do $$
declare
  t0 timestamptz := clock_timestamp();
  n  integer;
begin
  update public.invites
     set expires_at = clock_timestamp() + interval '3 days'  -- expect: ARM101
   where expires_at is null;
  get diagnostics n = row_count;
  raise notice 'backfilled % invites in %', n, clock_timestamp() - t0;  -- ok: elapsed
end
$$;

do $$
declare
  t0 timestamptz := clock_timestamp();  -- ok
begin
  perform public.recompute_all_scores();
  raise notice 'Levou %', clock_timestamp() - t0;  -- ok
end
$$;

do $$
begin
  -- ok: now() for persisted expiry
  update public.invites
     set expires_at = now() + interval '3 days'
   where expires_at is null and created_at > now() - interval '1 day';
end
$$;
