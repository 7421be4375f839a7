CREATE TABLE "ledger_payment_reversals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"payment_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"provider_ref" text,
	"amount" bigint NOT NULL,
	"shortfall" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_payment_reversals_amount_positive" CHECK ("ledger_payment_reversals"."amount" > 0),
	CONSTRAINT "ledger_payment_reversals_shortfall_range" CHECK ("ledger_payment_reversals"."shortfall" >= 0 AND "ledger_payment_reversals"."shortfall" <= "ledger_payment_reversals"."amount")
);
--> statement-breakpoint
ALTER TABLE "ledger_payment_reversals" ADD CONSTRAINT "ledger_payment_reversals_payment_id_ledger_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."ledger_payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_payment_reversals_payment_idx" ON "ledger_payment_reversals" USING btree ("payment_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_payment_reversals_provider_key" ON "ledger_payment_reversals" USING btree ("payment_id","kind","provider_ref");--> statement-breakpoint
CREATE INDEX "ledger_payment_reversals_owed_idx" ON "ledger_payment_reversals" USING btree ("user_id") WHERE "ledger_payment_reversals"."shortfall" > 0;--> statement-breakpoint
-- The receivable account: what users owe after a refund or dispute took back coins they had already
-- spent. It goes negative by what is owed (like mint and house), sharded 16 ways.
INSERT INTO ledger_accounts (id, kind, code, may_go_negative)
SELECT format('00000000-0000-4000-80%s-000000000006', lpad(to_hex(s), 2, '0'))::uuid,
       'system', CASE WHEN s = 0 THEN 'receivable' ELSE 'receivable.' || s END, true
FROM generate_series(0, 15) AS s
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO ledger_balances (account_id, asset, may_go_negative)
SELECT id, 'COIN', true FROM ledger_accounts WHERE kind = 'system' AND split_part(code, '.', 1) = 'receivable'
ON CONFLICT DO NOTHING;
