CREATE TABLE "fraud_activity" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fraud_activity_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" uuid NOT NULL,
	"counterparty_id" uuid NOT NULL,
	"variant_id" uuid,
	"direction" text,
	"price" bigint,
	"reference" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fraud_flags" (
	"id" uuid PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"severity" text NOT NULL,
	"user_ids" uuid[] NOT NULL,
	"variant_id" uuid,
	"reference" text NOT NULL,
	"details" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid,
	"outcome" text,
	"note" text,
	CONSTRAINT "fraud_flags_severity" CHECK ("fraud_flags"."severity" IN ('low', 'high')),
	CONSTRAINT "fraud_flags_status" CHECK ("fraud_flags"."status" IN ('open', 'resolved')),
	CONSTRAINT "fraud_flags_resolution" CHECK (("fraud_flags"."status" = 'open' AND "fraud_flags"."resolved_at" IS NULL AND "fraud_flags"."outcome" IS NULL)
        OR ("fraud_flags"."status" = 'resolved' AND "fraud_flags"."resolved_at" IS NOT NULL AND "fraud_flags"."outcome" IN ('dismissed', 'confirmed')))
);
--> statement-breakpoint
CREATE TABLE "fraud_holds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"flag_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"reference" text NOT NULL,
	"escrow_account_id" uuid NOT NULL,
	"amounts" jsonb NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"release_at" timestamp with time zone NOT NULL,
	"released_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity_blocks" (
	"blocker_id" uuid NOT NULL,
	"blocked_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identity_blocks_blocker_id_blocked_id_pk" PRIMARY KEY("blocker_id","blocked_id"),
	CONSTRAINT "identity_blocks_not_self" CHECK ("identity_blocks"."blocker_id" <> "identity_blocks"."blocked_id")
);
--> statement-breakpoint
CREATE TABLE "market_config" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"commission_bps" integer NOT NULL,
	"minimum_fee" bigint NOT NULL,
	"price_band" integer NOT NULL,
	"market_protection_bps" integer NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "market_config_single_row" CHECK ("market_config"."id" = 1),
	CONSTRAINT "market_config_ranges" CHECK ("market_config"."commission_bps" BETWEEN 0 AND 5000 AND "market_config"."minimum_fee" >= 0 AND "market_config"."price_band" >= 2 AND "market_config"."market_protection_bps" BETWEEN 1 AND 10000)
);
--> statement-breakpoint
DROP INDEX "market_orders_book_idx";--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "source" text DEFAULT 'order' NOT NULL;--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "fee_rate_bps" integer DEFAULT 500 NOT NULL;--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "minimum_fee" bigint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "queue_seq" bigserial NOT NULL;--> statement-breakpoint
-- Orders that already exist keep the time priority they had (their time-ordered ids).
UPDATE "market_orders" o SET "queue_seq" = r.n
  FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS n FROM "market_orders") r
  WHERE r."id" = o."id";--> statement-breakpoint
SELECT setval(pg_get_serial_sequence('market_orders', 'queue_seq'), (SELECT coalesce(max("queue_seq"), 0) + 1 FROM "market_orders"), false);--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fraud_holds" ADD CONSTRAINT "fraud_holds_flag_id_fraud_flags_id_fk" FOREIGN KEY ("flag_id") REFERENCES "public"."fraud_flags"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_blocks" ADD CONSTRAINT "identity_blocks_blocker_id_identity_users_id_fk" FOREIGN KEY ("blocker_id") REFERENCES "public"."identity_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_blocks" ADD CONSTRAINT "identity_blocks_blocked_id_identity_users_id_fk" FOREIGN KEY ("blocked_id") REFERENCES "public"."identity_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fraud_activity_user_idx" ON "fraud_activity" USING btree ("user_id","at");--> statement-breakpoint
CREATE INDEX "fraud_activity_pair_idx" ON "fraud_activity" USING btree ("user_id","counterparty_id","variant_id","at");--> statement-breakpoint
CREATE INDEX "fraud_activity_price_idx" ON "fraud_activity" USING btree ("variant_id","at") WHERE "fraud_activity"."price" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "fraud_flags_rule_reference_key" ON "fraud_flags" USING btree ("rule","reference");--> statement-breakpoint
CREATE INDEX "fraud_flags_status_idx" ON "fraud_flags" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "fraud_flags_users_idx" ON "fraud_flags" USING gin ("user_ids");--> statement-breakpoint
CREATE INDEX "fraud_holds_reference_idx" ON "fraud_holds" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "fraud_holds_flag_idx" ON "fraud_holds" USING btree ("flag_id");--> statement-breakpoint
CREATE INDEX "fraud_holds_due_idx" ON "fraud_holds" USING btree ("release_at") WHERE "fraud_holds"."released_at" IS NULL;--> statement-breakpoint
CREATE INDEX "market_orders_price_idx" ON "market_orders" USING btree ("variant_id","side","price","queue_seq") WHERE "market_orders"."status" = 'open';--> statement-breakpoint
CREATE INDEX "market_orders_expiry_idx" ON "market_orders" USING btree ("expires_at") WHERE "market_orders"."status" = 'open' AND "market_orders"."expires_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "market_orders_listing_idx" ON "market_orders" USING btree ("price","id") WHERE "market_orders"."status" = 'open' AND "market_orders"."source" = 'listing';--> statement-breakpoint
CREATE INDEX "market_trades_maker_idx" ON "market_trades" USING btree ("maker_owner_id","ts");--> statement-breakpoint
CREATE INDEX "market_trades_taker_idx" ON "market_trades" USING btree ("taker_owner_id","ts");--> statement-breakpoint
CREATE INDEX "market_orders_book_idx" ON "market_orders" USING btree ("variant_id","queue_seq") WHERE "market_orders"."status" = 'open';