DROP INDEX "cards_wishlist_card_idx";--> statement-breakpoint
DROP INDEX "social_spares_card_idx";--> statement-breakpoint
CREATE INDEX "cards_wishlist_card_idx" ON "cards_wishlist" USING btree ("card_id","variant_level","user_id");--> statement-breakpoint
CREATE INDEX "social_spares_card_idx" ON "social_spares" USING btree ("card_id","level","user_id","variant_id","spare");