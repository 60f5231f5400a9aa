create table public.email_outbox (
  id         bigint generated always as identity primary key,
  user_id    uuid not null,
  kind       text not null,
  sent_at    timestamptz,
  unique (user_id, kind)
);

-- ok: idempotent enqueue
create or replace function public.enqueue_email(p_user uuid, p_kind text)
returns void language sql as $$
  insert into public.email_outbox (user_id, kind) values (p_user, p_kind)
  on conflict (user_id, kind) do nothing;
$$;

-- ok: claim a batch with skip locked
create or replace function public.claim_outbox(p_limit int)
returns setof public.email_outbox language sql as $$
  select * from public.email_outbox
   where sent_at is null
   order by id
   for update skip locked
   limit p_limit;
$$;

create table public.delivery_attempts (
  delivery_id  text not null,
  status       text not null,
  received_at  timestamptz not null default now()
);

-- recebido do provedor de SMS (callback de entrega; eles reenviam)
create or replace function public.sms_delivery_callback(p_delivery_id text, p_status text)
returns void
language plpgsql
as $$
begin
  insert into public.delivery_attempts (delivery_id, status)  -- expect: ARM403
  values (p_delivery_id, p_status);
  update public.sms_messages set status = p_status where provider_delivery_id = p_delivery_id;
end;
$$;

create or replace function public.record_inbound_message(p_message_id text, p_body jsonb)
returns void
language plpgsql
as $$
begin
  insert into public.inbox (message_id, queue, body)  -- expect: ARM403
  values (p_message_id, 'whatsapp', p_body);
end;
$$;
