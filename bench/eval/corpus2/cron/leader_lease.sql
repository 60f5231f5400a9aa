-- Eleição de líder do cron distribuído via linha de lease (substituto leve de etcd)

create sequence if not exists public.cron_leader_token_seq;

create table if not exists public.cron_leader (
    name        text primary key,
    holder      text,
    expires_at  timestamptz not null default '-infinity',
    token       bigint not null default 0
);

create table if not exists public.cron_state (
    name         text primary key,
    last_fire_at timestamptz,
    fired_by     text,
    last_token   bigint not null default 0
);

-- Chamado a cada segundo por cada réplica; quem conseguir o lease dispara os jobs
create or replace function public.cron_tick(p_node text)
returns boolean
language plpgsql
as $$
begin
    update public.cron_leader  -- expect: ARM202
       set holder = p_node, expires_at = now() + interval '10 seconds'
     where name = 'main' and (expires_at < now() or holder = p_node);
    if not found then
        return false;
    end if;

    update public.cron_state
       set last_fire_at = now(), fired_by = p_node
     where name = 'main';
    return true;
end;
$$;

-- Versão com token: o lease devolve um token e o estado só aceita token maior
create or replace function public.cron_tick_fenced(p_node text)
returns bigint
language plpgsql
as $$
declare
    v_token bigint;
begin
    update public.cron_leader
       set holder = p_node,
           expires_at = now() + interval '10 seconds',
           token = nextval('public.cron_leader_token_seq')
     where name = 'main' and (expires_at < now() or holder = p_node)
    returning token into v_token;
    if v_token is null then
        return null;
    end if;

    update public.cron_state
       set last_fire_at = now(), fired_by = p_node, last_token = v_token
     where name = 'main' and last_token < v_token;   -- ok: fencing predicate
    return v_token;
end;
$$;

-- Backfill único executado na migração (lock de sessão só dentro do DO, mas sem fencing)
do $$
begin
    if pg_try_advisory_lock(4242) then  -- expect: ARM202
        update public.cron_state set fired_by = coalesce(fired_by, 'unknown');
        perform pg_advisory_unlock(4242);
    end if;
end $$;

-- Backfill com xact lock, só banco, sem chamada externa
do $$
begin
    perform pg_advisory_xact_lock(4243);  -- ok
    update public.cron_state set last_token = 0 where last_token is null;
end $$;
