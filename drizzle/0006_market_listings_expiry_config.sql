CREATE TABLE "market_config" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"commission_bps" integer NOT NULL,
	"minimum_fee" bigint NOT NULL,
	"fee_payer" text NOT NULL,
	"price_band" integer NOT NULL,
	"market_protection_bps" integer NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "market_config_single_row" CHECK ("market_config"."id" = 1),
	CONSTRAINT "market_config_ranges" CHECK ("market_config"."commission_bps" BETWEEN 0 AND 5000 AND "market_config"."minimum_fee" >= 0 AND "market_config"."price_band" >= 2 AND "market_config"."market_protection_bps" BETWEEN 1 AND 10000)
);
--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "source" text DEFAULT 'order' NOT NULL;--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "market_orders_expiry_idx" ON "market_orders" USING btree ("expires_at") WHERE "market_orders"."status" = 'open' AND "market_orders"."expires_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "market_orders_listing_idx" ON "market_orders" USING btree ("price","id") WHERE "market_orders"."status" = 'open' AND "market_orders"."source" = 'listing';