DROP INDEX "market_orders_book_idx";--> statement-breakpoint
ALTER TABLE "market_orders" ADD COLUMN "queue_seq" bigserial NOT NULL;--> statement-breakpoint
CREATE INDEX "market_orders_book_idx" ON "market_orders" USING btree ("variant_id","queue_seq") WHERE "market_orders"."status" = 'open';