-- Scheduler: histórico de execuções e auditoria

create table if not exists public.job_run_history (
    id          bigint generated always as identity primary key,
    job_name    text not null,
    region      text not null,
    runner_id   text not null,
    phase       text not null check (phase in ('claimed','started','finished','failed')),
    occurred_at timestamptz not null
);

create index if not exists job_history_job_time on public.job_run_history (job_name, occurred_at);

create table if not exists public.scheduler_audit (
    id          bigint generated always as identity primary key,
    actor       text not null,
    action      text not null,
    created_at  timestamptz not null default now()   -- ok
);

-- Runners de todas as regiões chamam isto
create or replace function public.record_job_phase(p_job text, p_region text, p_runner text, p_phase text)
returns void
language sql
as $$
    insert into public.job_run_history (job_name, region, runner_id, phase, occurred_at)
    values (p_job, p_region, p_runner, p_phase, clock_timestamp());  -- expect: ARM102
$$;

-- "Último estado" de cada job = última fase por occurred_at
create or replace view public.job_last_state as
select distinct on (job_name) job_name, region, runner_id, phase, occurred_at
  from public.job_run_history
 order by job_name, occurred_at desc;

create or replace function public.audit(p_actor text, p_action text)
returns void
language plpgsql
as $$
begin
    insert into public.scheduler_audit (actor, action) values (p_actor, p_action);  -- ok: CRUD audit
    raise log 'audit % % at %', p_actor, p_action, clock_timestamp();  -- ok: log output
end;
$$;

-- Duração por statement para diagnosticar o job lento
create or replace function public.slow_job_probe()
returns interval
language sql
as $$
    select clock_timestamp() - statement_timestamp();   -- ok: elapsed
$$;
