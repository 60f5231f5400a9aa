-- Job leases for the multi-region scheduler (etcd-style leases, but in Postgres).

create sequence if not exists public.job_fencing_seq;

create table if not exists public.job_leases (
    job_name    text primary key,
    holder      text,
    expires_at  timestamptz not null default '-infinity',
    last_token  bigint not null default 0
);

create table if not exists public.job_outputs (
    job_name    text primary key,
    payload     jsonb,
    written_by  text,
    last_token  bigint not null default 0,
    updated_at  timestamptz not null default now()
);

-- v1: pega o lease e escreve o resultado — sem token de fencing
create or replace function public.run_job_v1(p_job text, p_worker text, p_payload jsonb)
returns boolean
language plpgsql
as $$
begin
    update public.job_leases  -- expect: ARM202
       set holder = p_worker,
           expires_at = now() + interval '30 seconds'
     where job_name = p_job
       and expires_at < now();
    if not found then
        return false;
    end if;

    update public.job_outputs
       set payload = p_payload, written_by = p_worker, updated_at = now()
     where job_name = p_job;
    return true;
end;
$$;

-- v2: lease + token monotônico; storage rejeita token antigo
create or replace function public.run_job_v2(p_job text, p_worker text, p_payload jsonb)
returns bigint
language plpgsql
as $$
declare
    v_token bigint;
begin
    update public.job_leases  -- ok: fenced below
       set holder = p_worker,
           expires_at = now() + interval '30 seconds',
           last_token = nextval('public.job_fencing_seq')
     where job_name = p_job
       and expires_at < now()
    returning last_token into v_token;
    if v_token is null then
        return null;
    end if;

    update public.job_outputs
       set payload = p_payload, written_by = p_worker,
           last_token = v_token, updated_at = now()
     where job_name = p_job
       and last_token < v_token;
    return v_token;
end;
$$;

-- Manutenção: quanto tempo leva para limpar leases antigos
do $$
declare
    t0 timestamptz := clock_timestamp();  -- ok: elapsed measurement
    n  bigint;
begin
    delete from public.job_leases where holder is null and expires_at < now() - interval '7 days';  -- ok: cleanup
    get diagnostics n = row_count;
    raise notice 'removed % stale leases in %', n, clock_timestamp() - t0;  -- ok
end $$;
