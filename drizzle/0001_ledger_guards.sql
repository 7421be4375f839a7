-- Ledger guards the ORM cannot express: append-only tables, the only allowed change of a transfer,
-- and the rows every ledger starts with (the coin asset and the system accounts).
CREATE OR REPLACE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE TRIGGER ledger_legs_append_only BEFORE UPDATE OR DELETE ON ledger_transfer_legs
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE TRIGGER ledger_legs_no_truncate BEFORE TRUNCATE ON ledger_transfer_legs
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE TRIGGER platform_audit_append_only BEFORE UPDATE OR DELETE ON platform_audit_log
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE TRIGGER platform_audit_no_truncate BEFORE TRUNCATE ON platform_audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
-- A transfer is never deleted; its only change is pending → posted or voided, once.
CREATE OR REPLACE FUNCTION ledger_transfer_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'ledger_transfers rows cannot be deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.status <> 'pending' OR NEW.status NOT IN ('posted', 'voided')
     OR NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.reference IS DISTINCT FROM OLD.reference
     OR NEW.memo IS DISTINCT FROM OLD.memo OR NEW.actor_id IS DISTINCT FROM OLD.actor_id
     OR NEW.timeout_at IS DISTINCT FROM OLD.timeout_at OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'a transfer may only change from pending to posted or voided'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_transfers_guard BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfer_guard();
--> statement-breakpoint
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
INSERT INTO ledger_assets (code, kind) VALUES ('COIN', 'currency') ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO ledger_accounts (id, kind, code, may_go_negative) VALUES
  ('00000000-0000-4000-8000-000000000001', 'system', 'mint', true),
  ('00000000-0000-4000-8000-000000000002', 'system', 'gateway', true),
  ('00000000-0000-4000-8000-000000000003', 'system', 'fees', false)
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO ledger_balances (account_id, asset, may_go_negative) VALUES
  ('00000000-0000-4000-8000-000000000001', 'COIN', true),
  ('00000000-0000-4000-8000-000000000002', 'COIN', true),
  ('00000000-0000-4000-8000-000000000003', 'COIN', false)
ON CONFLICT DO NOTHING;
