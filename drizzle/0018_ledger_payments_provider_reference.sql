ALTER TABLE "ledger_payments" ADD COLUMN "provider_reference" text;--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD COLUMN "provider_checkout_url" text;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_payments_provider_reference_key" ON "ledger_payments" USING btree ("provider","provider_reference");