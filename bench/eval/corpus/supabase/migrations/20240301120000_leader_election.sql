create table public.cluster_nodes (
  node_id       text primary key,
  region        text not null,
  state         text not null default 'alive',
  heartbeat_at  timestamptz not null default now()
);

create table public.region_config (
  region      text primary key,
  leader      text,
  last_token  bigint not null default 0,
  config      jsonb not null default '{}'
);

-- eleição de líder por região (sessão do worker segura o lock)
create or replace function public.try_become_leader(p_region text, p_node text)
returns boolean
language plpgsql
as $$
begin
  if not pg_try_advisory_lock(hashtext('leader:' || p_region)) then  -- expect: ARM202
    return false;
  end if;
  update public.region_config set leader = p_node where region = p_region;
  return true;
end;
$$;

create or replace function public.expire_nodes()
returns void
language sql
as $$
  update public.cluster_nodes  -- expect: ARM302
     set state = 'dead'
   where heartbeat_at < now() - interval '15 seconds'
     and state <> 'dead';
$$;

-- ok: canonical fenced election
create sequence if not exists public.leader_fence_seq;

create or replace function public.become_leader_fenced(p_region text, p_node text)
returns bigint
language plpgsql
as $$
declare
  v_token bigint;
begin
  perform pg_advisory_xact_lock(hashtext('leader:' || p_region));
  v_token := nextval('public.leader_fence_seq');
  update public.region_config
     set leader = p_node, last_token = v_token
   where region = p_region and last_token < v_token;
  if not found then
    return null;
  end if;
  return v_token;
end;
$$;

-- ok: a node is only dead when a majority of peers voted it suspect
create or replace function public.expire_nodes_quorum()
returns void
language sql
as $$
  update public.cluster_nodes n
     set state = 'dead'
   where (select count(*) from public.suspicion_votes v where v.node_id = n.node_id)
         >= (select count(*) / 2 + 1 from public.cluster_nodes where state = 'alive');
$$;
