create extension if not exists pgmq;

create table public.processed_messages (
  msg_id       bigint not null,
  queue        text not null,
  processed_at timestamptz not null default now()
);

create table public.job_queue (
  id           bigint generated always as identity primary key,
  payload      jsonb not null,
  locked_by    text,
  locked_until timestamptz
);

-- consumidor da fila de pedidos (pgmq re-entrega se não houver delete)
create or replace function public.consume_orders(p_batch int default 10)
returns integer
language plpgsql
as $$
declare
  v_msg record;
  n int := 0;
begin
  for v_msg in select * from pgmq.read('orders', 30, p_batch) loop
    insert into public.processed_messages (msg_id, queue)  -- expect: ARM403
    values (v_msg.msg_id, 'orders');
    perform public.apply_order_message(v_msg.message);
    perform pgmq.delete('orders', v_msg.msg_id);
    n := n + 1;
  end loop;
  return n;
end;
$$;

-- ok: inbox with on conflict
create or replace function public.consume_invoices(p_batch int default 10)
returns integer
language plpgsql
as $$
declare
  v_msg record;
  n int := 0;
begin
  for v_msg in select * from pgmq.read('invoices', 30, p_batch) loop
    insert into public.inbox (message_id, queue, body)
    values (v_msg.message->>'message_id', 'invoices', v_msg.message)
    on conflict (message_id) do nothing;
    if found then
      perform public.apply_invoice_message(v_msg.message);
    end if;
    perform pgmq.delete('invoices', v_msg.msg_id);
    n := n + 1;
  end loop;
  return n;
end;
$$;

create or replace function public.claim_job(p_worker text)
returns bigint
language plpgsql
as $$
declare
  v_id bigint;
begin
  select id into v_id
    from public.job_queue
   where locked_until is null or locked_until < now()
   order by id
   for update skip locked
   limit 1;
  update public.job_queue
     set locked_by = p_worker,
         locked_until = clock_timestamp() + interval '5 minutes'  -- expect: ARM101
   where id = v_id;
  return v_id;
end;
$$;
