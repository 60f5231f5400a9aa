-- Ledger: funções PL/pgSQL chamadas pelo webhook de PIX e pelo job de liquidação

create sequence if not exists public.settlement_fencing_seq;

create table if not exists public.pix_webhook_events (
    e2e_id       text primary key,          -- endToEndId do BACEN
    txid         text not null,
    amount       numeric(14,2) not null,
    payload      jsonb not null,
    received_at  timestamptz not null default now()
);

create table if not exists public.settlement_batches (
    id          bigint generated always as identity primary key,
    merchant_id uuid not null,
    total       numeric(14,2) not null,
    last_token  bigint not null default 0,
    status      text not null default 'open'
);

-- Recebe a notificação do PSP (pode chegar repetida)
create or replace function public.record_pix_received(p_e2e text, p_txid text, p_amount numeric, p_payload jsonb)
returns void
language plpgsql
as $$
begin
    insert into public.pix_webhook_events (e2e_id, txid, amount, payload)  -- expect: ARM403
    values (p_e2e, p_txid, p_amount, p_payload);

    update public.pix_charges set status = 'paid', paid_at = now() where txid = p_txid;
end;
$$;

create or replace function public.record_pix_received_v2(p_e2e text, p_txid text, p_amount numeric, p_payload jsonb)
returns boolean
language plpgsql
as $$
begin
    insert into public.pix_webhook_events (e2e_id, txid, amount, payload)  -- ok: on conflict
    values (p_e2e, p_txid, p_amount, p_payload)
    on conflict (e2e_id) do nothing;
    if not found then
        return false;   -- duplicata
    end if;
    update public.pix_charges set status = 'paid', paid_at = now() where txid = p_txid;
    return true;
end;
$$;

-- Boleto: baixa por arquivo de retorno CNAB (linha a linha)
create or replace function public.record_boleto_settlement(p_nosso_numero text, p_bank_event_id text, p_amount numeric)
returns void
language sql
as $$
    insert into public.boleto_settlements (nosso_numero, bank_event_id, amount)  -- expect: ARM403
    values (p_nosso_numero, p_bank_event_id, p_amount);
$$;

-- Liquidação diária por lojista — lock de sessão, sem fencing
create or replace function public.close_settlement_batch(p_merchant uuid)
returns void
language plpgsql
as $$
begin
    if not pg_try_advisory_lock(hashtext('settle:' || p_merchant::text)) then  -- expect: ARM202
        return;
    end if;
    update public.settlement_batches
       set total = (select coalesce(sum(amount), 0) from public.ledger_entries
                     where account_id = p_merchant and batch_id is null),
           status = 'closed'
     where merchant_id = p_merchant and status = 'open';
    perform pg_advisory_unlock(hashtext('settle:' || p_merchant::text));
end;
$$;

-- Versão canônica: xact lock + token
create or replace function public.close_settlement_batch_v2(p_merchant uuid)
returns bigint
language plpgsql
as $$
declare
    v_token bigint;
begin
    perform pg_advisory_xact_lock(hashtext('settle:' || p_merchant::text));  -- ok: canonical
    v_token := nextval('public.settlement_fencing_seq');
    update public.settlement_batches
       set status = 'closed', last_token = v_token
     where merchant_id = p_merchant and status = 'open'
       and last_token < v_token;
    return v_token;
end;
$$;

-- Ajuste manual (CRUD do backoffice)
create or replace function public.add_manual_adjustment(p_account uuid, p_amount numeric, p_reason text)
returns void
language sql
as $$
    insert into public.manual_adjustments (account_id, amount, reason, created_by)  -- ok: CRUD
    values (p_account, p_amount, p_reason, auth.uid());
$$;
