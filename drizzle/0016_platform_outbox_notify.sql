-- A commit that wrote outbox rows wakes the dispatchers of every process (LISTEN platform_outbox).
-- NOTIFY is transactional: sent at commit, never for a rollback; several in one transaction fold into one.
CREATE OR REPLACE FUNCTION platform_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('platform_outbox', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS platform_outbox_notify ON platform_outbox_events;
--> statement-breakpoint
CREATE TRIGGER platform_outbox_notify AFTER INSERT ON platform_outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION platform_outbox_notify();
