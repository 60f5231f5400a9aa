create table public.job_leases (
  job         text primary key,
  holder      text,
  expires_at  timestamptz not null default '-infinity',
  fence       bigint not null default 0
);

create sequence public.job_lease_fence_seq;

create or replace function public.run_rollup(p_worker text)
returns boolean
language plpgsql
as $$
begin
  update public.job_leases  -- expect: ARM202
     set holder = p_worker, expires_at = now() + interval '30 seconds'
   where job = 'rollup' and expires_at < now();
  if not found then
    return false;
  end if;
  update public.rollup_state set last_value = public.compute_rollup(), updated_by = p_worker where id = 1;
  return true;
end;
$$;

-- ok: lease carries a fence from a sequence, and the write checks it
create or replace function public.run_rollup_fenced(p_worker text)
returns boolean
language plpgsql
as $$
declare
  v_fence bigint;
begin
  update public.job_leases
     set holder = p_worker,
         expires_at = now() + interval '30 seconds',
         fence = nextval('public.job_lease_fence_seq')
   where job = 'rollup' and expires_at < now()
  returning fence into v_fence;
  if v_fence is null then
    return false;
  end if;
  update public.rollup_state
     set last_value = public.compute_rollup(), updated_by = p_worker, last_token = v_fence
   where id = 1 and last_token < v_fence;
  return found;
end;
$$;
