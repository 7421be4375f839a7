CREATE TABLE "market_candles" (
	"variant_id" uuid NOT NULL,
	"interval" text NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"open" bigint NOT NULL,
	"high" bigint NOT NULL,
	"low" bigint NOT NULL,
	"close" bigint NOT NULL,
	"volume" bigint NOT NULL,
	"notional" bigint NOT NULL,
	"trades" integer NOT NULL,
	CONSTRAINT "market_candles_variant_id_interval_bucket_start_pk" PRIMARY KEY("variant_id","interval","bucket_start")
);
--> statement-breakpoint
CREATE TABLE "market_orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"variant_id" uuid NOT NULL,
	"side" text NOT NULL,
	"type" text NOT NULL,
	"time_in_force" text NOT NULL,
	"price" bigint,
	"quantity" bigint NOT NULL,
	"remaining" bigint NOT NULL,
	"filled_quantity" bigint DEFAULT 0 NOT NULL,
	"filled_notional" bigint DEFAULT 0 NOT NULL,
	"fee_paid" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"cancel_reason" text,
	"escrow_account_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "market_orders_quantity_positive" CHECK ("market_orders"."quantity" > 0),
	CONSTRAINT "market_orders_remaining_range" CHECK ("market_orders"."remaining" >= 0 AND "market_orders"."remaining" <= "market_orders"."quantity"),
	CONSTRAINT "market_orders_price_positive" CHECK ("market_orders"."price" IS NULL OR "market_orders"."price" > 0)
);
--> statement-breakpoint
CREATE TABLE "market_trades" (
	"id" uuid PRIMARY KEY NOT NULL,
	"variant_id" uuid NOT NULL,
	"maker_order_id" uuid NOT NULL,
	"taker_order_id" uuid NOT NULL,
	"maker_owner_id" uuid NOT NULL,
	"taker_owner_id" uuid NOT NULL,
	"taker_side" text NOT NULL,
	"price" bigint NOT NULL,
	"quantity" bigint NOT NULL,
	"buyer_fee" bigint NOT NULL,
	"seller_fee" bigint NOT NULL,
	"ts" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "market_trades_positive" CHECK ("market_trades"."price" > 0 AND "market_trades"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "trade_offers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"proposer_id" uuid NOT NULL,
	"recipient_id" uuid NOT NULL,
	"offered" jsonb NOT NULL,
	"requested" jsonb NOT NULL,
	"message" text,
	"status" text DEFAULT 'open' NOT NULL,
	"escrow_account_id" uuid NOT NULL,
	"replaces_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "trade_offers_not_self" CHECK ("trade_offers"."proposer_id" <> "trade_offers"."recipient_id")
);
--> statement-breakpoint
CREATE INDEX "market_orders_book_idx" ON "market_orders" USING btree ("variant_id","created_at","id") WHERE "market_orders"."status" = 'open';--> statement-breakpoint
CREATE INDEX "market_orders_owner_idx" ON "market_orders" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE INDEX "market_trades_variant_idx" ON "market_trades" USING btree ("variant_id","ts","id");--> statement-breakpoint
CREATE INDEX "trade_offers_proposer_idx" ON "trade_offers" USING btree ("proposer_id","status","id");--> statement-breakpoint
CREATE INDEX "trade_offers_recipient_idx" ON "trade_offers" USING btree ("recipient_id","status","id");--> statement-breakpoint
CREATE INDEX "trade_offers_due_idx" ON "trade_offers" USING btree ("expires_at") WHERE "trade_offers"."status" = 'open';