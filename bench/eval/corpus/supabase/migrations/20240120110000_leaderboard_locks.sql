-- Recalcula o leaderboard; chamado pelo worker e por um botão no admin
create or replace function public.rebuild_leaderboard()
returns void
language plpgsql
as $$
begin
  perform pg_advisory_lock(hashtext('leaderboard'));  -- expect: ARM202
  delete from public.leaderboard;
  insert into public.leaderboard (user_id, score)
  select user_id, sum(points) from public.points group by user_id;
  perform pg_advisory_unlock(hashtext('leaderboard'));
end;
$$;

create or replace function public.flush_counters()
returns boolean
language plpgsql
as $$
begin
  if pg_try_advisory_lock(42) then  -- expect: ARM202
    update public.page_counters c
       set views = c.views + b.delta
      from public.counter_buffer b
     where b.page_id = c.page_id;
    truncate public.counter_buffer;
    perform pg_advisory_unlock(42);
    return true;
  end if;
  return false;
end;
$$;

-- ok: transaction-scoped lock, the whole critical section is this transaction
create or replace function public.bump_counter(p_name text)
returns void
language plpgsql
as $$
begin
  perform pg_advisory_xact_lock(hashtext(p_name));
  update public.counters set n = n + 1 where name = p_name;
end;
$$;

-- ok: canonical fencing
create sequence if not exists public.fencing_tokens_seq;

create or replace function public.fenced_write(p_resource uuid, p_value text)
returns boolean
language plpgsql
as $$
declare
  v_token bigint;
begin
  perform pg_advisory_xact_lock(hashtext('resource:' || p_resource::text));
  v_token := nextval('public.fencing_tokens_seq');
  update public.locked_resource
     set value = p_value, last_token = v_token, updated_at = now()
   where id = p_resource
     and last_token < v_token;
  return found;
end;
$$;
