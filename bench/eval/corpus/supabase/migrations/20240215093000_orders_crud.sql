-- Seeds e CRUD básico (sem contexto de entrega/retry)
insert into public.payment_providers (code, name) values  -- ok: seed data
  ('stripe', 'Stripe'),
  ('mercadopago', 'Mercado Pago'),
  ('pagarme', 'Pagar.me');

insert into public.plans (code, price_cents) values ('basic', 2990), ('pro', 9990);  -- ok

create or replace function public.create_order(p_customer uuid, p_items jsonb)
returns bigint
language plpgsql
as $$
declare
  v_id bigint;
begin
  insert into public.orders (customer_id, status, created_at)  -- ok: plain CRUD
  values (p_customer, 'new', now())
  returning id into v_id;
  insert into public.order_items (order_id, sku, qty)  -- ok
  select v_id, i->>'sku', (i->>'qty')::int from jsonb_array_elements(p_items) i;
  return v_id;
end;
$$;

create or replace function public.rename_customer(p_id uuid, p_name text)
returns void language sql as $$
  update public.customers set name = p_name, updated_at = now() where id = p_id;  -- ok
$$;
