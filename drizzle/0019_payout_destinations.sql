CREATE TABLE "payout_destinations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"details" text NOT NULL,
	"last4" text NOT NULL,
	"label" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "payout_destinations_kind" CHECK ("payout_destinations"."kind" IN ('stripe_account', 'bank_account')),
	CONSTRAINT "payout_destinations_sealed" CHECK ("payout_destinations"."details" LIKE 'enc:%')
);
--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD COLUMN "destination_id" uuid;--> statement-breakpoint
CREATE INDEX "payout_destinations_user_idx" ON "payout_destinations" USING btree ("user_id","created_at") WHERE "payout_destinations"."removed_at" IS NULL;--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD CONSTRAINT "ledger_payments_destination_id_payout_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "public"."payout_destinations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_payments_payout_status_idx" ON "ledger_payments" USING btree ("status","id") WHERE "ledger_payments"."direction" = 'payout';