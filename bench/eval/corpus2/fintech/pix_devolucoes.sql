-- PIX: devoluções (MED / estorno) e extrato

create table if not exists public.pix_devolucoes (
    id           bigint generated always as identity primary key,
    rtr_id       text not null,          -- id da devolução no SPI
    e2e_id       text not null,
    amount       numeric(14,2) not null,
    motivo       text,
    created_at   timestamptz not null default now()   -- ok
);

-- Webhook do PSP: devolução liquidada (pode ser reenviado pelo PSP)
create or replace function public.on_pix_devolucao(p_rtr_id text, p_e2e text, p_amount numeric, p_motivo text)
returns void
language plpgsql
as $$
begin
    insert into public.pix_devolucoes (rtr_id, e2e_id, amount, motivo)  -- expect: ARM403
    values (p_rtr_id, p_e2e, p_amount, p_motivo);

    update public.accounts a
       set balance = a.balance - p_amount
      from public.pix_charges c
     where c.e2e_id = p_e2e and a.id = c.account_id;
end;
$$;

-- Chaves PIX do cliente (CRUD)
create or replace function public.add_pix_key(p_account uuid, p_kind text, p_value text)
returns void
language sql
as $$
    insert into public.pix_keys (account_id, kind, value)   -- ok: CRUD, user-initiated
    values (p_account, p_kind, p_value);
$$;

-- Extrato para o app (exibição)
create or replace view public.account_statement as
select e.account_id,
       e.id as entry_seq,                                            -- ok: ordering key
       e.amount,
       e.ref,
       to_char(e.created_at at time zone 'America/Sao_Paulo', 'DD/MM HH24:MI') as quando   -- ok
  from public.ledger_entries e
 order by e.account_id, e.id desc;

-- QR codes dinâmicos expiram conforme o campo "expiracao" da cobrança (segundos)
create or replace function public.create_pix_qr(p_charge uuid, p_expiracao_s int)
returns void
language sql
as $$
    update public.pix_charges
       set qr_expires_at = now() + make_interval(secs => p_expiracao_s)   -- ok: now()
     where id = p_charge;
$$;

-- Medição de um backfill
do $$
declare
    t0 timestamptz := clock_timestamp();
begin
    update public.pix_charges set qr_expires_at = created_at + interval '1 hour' where qr_expires_at is null;  -- ok
    raise notice 'backfill em %', clock_timestamp() - t0;  -- ok
end $$;
