-- Multi-tenant SaaS: background jobs per tenant, RLS by tenant_id.
create table public.tenant_jobs (
  id          bigint generated always as identity primary key,
  tenant_id   uuid not null,
  kind        text not null,
  status      text not null default 'queued',
  attempts    int not null default 0,
  run_after   timestamptz not null default now(),
  locked_by   text,
  locked_until timestamptz,
  created_at  timestamptz not null default now()
);

alter table public.tenant_jobs enable row level security;

create policy "tenant members see their jobs"
  on public.tenant_jobs for select
  using (tenant_id = (auth.jwt() ->> 'tenant_id')::uuid);  -- ok

-- ok: SKIP LOCKED claim, one transaction
create or replace function public.claim_tenant_job(p_worker text)
returns setof public.tenant_jobs
language sql
as $$
  update public.tenant_jobs
     set status = 'running', locked_by = p_worker,
         locked_until = now() + interval '5 minutes', attempts = attempts + 1
   where id in (
     select id from public.tenant_jobs
      where status = 'queued' and run_after <= now()
      order by run_after
      limit 10
      for update skip locked)
  returning *;
$$;

-- re-run a tenant's billing sync; only one at a time per tenant (session lock, pooled conn)
create or replace function public.sync_tenant_billing(p_tenant uuid)
returns boolean
language plpgsql
as $$
begin
  if not pg_try_advisory_lock(hashtext('billing:' || p_tenant::text)) then  -- expect: ARM202
    return false;
  end if;
  update public.tenant_billing
     set seats = (select count(*) from public.memberships where tenant_id = p_tenant),
         synced_at = now()
   where tenant_id = p_tenant;
  perform pg_advisory_unlock(hashtext('billing:' || p_tenant::text));
  return true;
end;
$$;

-- lease row on a per-tenant "scheduler" record
create or replace function public.take_tenant_scheduler(p_tenant uuid, p_worker text)
returns boolean
language plpgsql
as $$
begin
  update public.tenant_schedulers  -- expect: ARM202
     set holder = p_worker, expires_at = now() + interval '30 seconds'
   where tenant_id = p_tenant and expires_at < now();
  if found then
    insert into public.tenant_jobs (tenant_id, kind) values (p_tenant, 'nightly_rollup');
  end if;
  return found;
end;
$$;

-- ok: reclaim jobs whose worker lease expired, using now()
update public.tenant_jobs
   set status = 'queued', locked_by = null
 where status = 'running' and locked_until < now();

-- ok: xact lock scoped to a single transaction
create or replace function public.renumber_invoices(p_tenant uuid)
returns void
language plpgsql
as $$
begin
  perform pg_advisory_xact_lock(hashtext('invoice-seq:' || p_tenant::text));
  update public.invoices i set number = s.rn
    from (select id, row_number() over (order by created_at) as rn
            from public.invoices where tenant_id = p_tenant) s
   where i.id = s.id;
end;
$$;
