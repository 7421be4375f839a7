-- Account erasure: a transfer's memo is free text (it may quote a campaign title or a bot name a
-- deleted user chose), so it may be cleared to NULL, with nothing else in the same change. Amounts,
-- accounts and status stay as they were: the ledger keeps its balanced history.
CREATE OR REPLACE FUNCTION ledger_transfer_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'ledger_transfers rows cannot be deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.memo IS NOT NULL AND NEW.memo IS NULL
     AND NEW.status = OLD.status AND NEW.id = OLD.id AND NEW.kind = OLD.kind
     AND NEW.reference IS NOT DISTINCT FROM OLD.reference AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
     AND NEW.timeout_at IS NOT DISTINCT FROM OLD.timeout_at AND NEW.created_at = OLD.created_at
     AND NEW.resolved_at IS NOT DISTINCT FROM OLD.resolved_at THEN
    RETURN NEW;
  END IF;
  IF OLD.status <> 'pending' OR NEW.status NOT IN ('posted', 'voided')
     OR NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.reference IS DISTINCT FROM OLD.reference
     OR NEW.memo IS DISTINCT FROM OLD.memo OR NEW.actor_id IS DISTINCT FROM OLD.actor_id
     OR NEW.timeout_at IS DISTINCT FROM OLD.timeout_at OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'a transfer may only change from pending to posted or voided, or lose its memo'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
