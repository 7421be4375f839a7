-- Typo-tolerant card search (word_similarity) and the substring name filter (ILIKE, served by a
-- trigram index) need pg_trgm. Drizzle cannot express extensions or operator classes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS cards_cards_name_trgm_idx ON cards_cards USING gin (name gin_trgm_ops);
