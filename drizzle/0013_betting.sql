CREATE TABLE "betting_bets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"market_id" uuid NOT NULL,
	"outcome_id" uuid NOT NULL,
	"stake" bigint NOT NULL,
	"odds_milli" integer,
	"potential_payout" bigint,
	"status" text DEFAULT 'open' NOT NULL,
	"payout" bigint DEFAULT 0 NOT NULL,
	"settled_round" integer DEFAULT 0 NOT NULL,
	"settled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "betting_bets_stake_positive" CHECK ("betting_bets"."stake" > 0),
	CONSTRAINT "betting_bets_payout_non_negative" CHECK ("betting_bets"."payout" >= 0)
);
--> statement-breakpoint
CREATE TABLE "betting_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"opens_at" timestamp with time zone NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"variant_id" uuid,
	"threshold" bigint,
	"price_date" timestamp with time zone,
	"settlement" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "betting_events_price_shape" CHECK ("betting_events"."kind" <> 'card_price' OR ("betting_events"."variant_id" IS NOT NULL AND "betting_events"."threshold" > 0 AND "betting_events"."price_date" IS NOT NULL)),
	CONSTRAINT "betting_events_window" CHECK ("betting_events"."opens_at" <= "betting_events"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "betting_markets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"takeout_bps" integer DEFAULT 0 NOT NULL,
	"overround_bps" integer DEFAULT 0 NOT NULL,
	"escrow_id" uuid NOT NULL,
	"min_stake" bigint NOT NULL,
	"max_stake" bigint NOT NULL,
	"max_payout" bigint NOT NULL,
	"user_liability_cap" bigint NOT NULL,
	"outcome_liability_cap" bigint NOT NULL,
	"suspend_exposure" bigint NOT NULL,
	"exposure" bigint DEFAULT 0 NOT NULL,
	"total_staked" bigint DEFAULT 0 NOT NULL,
	"winning_outcome_id" uuid,
	"round" integer DEFAULT 0 NOT NULL,
	"suspend_reason" text,
	"settled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "betting_markets_bps" CHECK ("betting_markets"."takeout_bps" BETWEEN 0 AND 5000 AND "betting_markets"."overround_bps" BETWEEN 0 AND 5000),
	CONSTRAINT "betting_markets_stakes" CHECK ("betting_markets"."min_stake" > 0 AND "betting_markets"."max_stake" >= "betting_markets"."min_stake")
);
--> statement-breakpoint
CREATE TABLE "betting_outcomes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"market_id" uuid NOT NULL,
	"label" text NOT NULL,
	"position" integer NOT NULL,
	"probability_ppm" integer DEFAULT 0 NOT NULL,
	"staked" bigint DEFAULT 0 NOT NULL,
	"liability" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "betting_profiles" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"age_confirmed_at" timestamp with time zone,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pending_limits" jsonb,
	"pending_from" timestamp with time zone,
	"cool_off_until" timestamp with time zone,
	"excluded_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "betting_bets" ADD CONSTRAINT "betting_bets_market_id_betting_markets_id_fk" FOREIGN KEY ("market_id") REFERENCES "public"."betting_markets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "betting_bets" ADD CONSTRAINT "betting_bets_outcome_id_betting_outcomes_id_fk" FOREIGN KEY ("outcome_id") REFERENCES "public"."betting_outcomes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "betting_markets" ADD CONSTRAINT "betting_markets_event_id_betting_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."betting_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "betting_outcomes" ADD CONSTRAINT "betting_outcomes_market_id_betting_markets_id_fk" FOREIGN KEY ("market_id") REFERENCES "public"."betting_markets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "betting_bets_user_idx" ON "betting_bets" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "betting_bets_market_idx" ON "betting_bets" USING btree ("market_id","settled_round");--> statement-breakpoint
CREATE INDEX "betting_events_starts_idx" ON "betting_events" USING btree ("starts_at");--> statement-breakpoint
CREATE INDEX "betting_markets_event_idx" ON "betting_markets" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "betting_markets_pending_idx" ON "betting_markets" USING btree ("status") WHERE "betting_markets"."status" IN ('settling', 'voiding');--> statement-breakpoint
CREATE UNIQUE INDEX "betting_outcomes_position_key" ON "betting_outcomes" USING btree ("market_id","position");--> statement-breakpoint
-- The house: pays fixed-odds winnings beyond the stake and keeps losing fixed-odds stakes. Like mint
-- and gateway it may go negative (its balance is what the book has won or lost), sharded 16 ways.
INSERT INTO ledger_accounts (id, kind, code, may_go_negative)
SELECT format('00000000-0000-4000-80%s-000000000004', lpad(to_hex(s), 2, '0'))::uuid,
       'system', CASE WHEN s = 0 THEN 'house' ELSE 'house.' || s END, true
FROM generate_series(0, 15) AS s
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO ledger_balances (account_id, asset, may_go_negative)
SELECT id, 'COIN', true FROM ledger_accounts WHERE kind = 'system' AND split_part(code, '.', 1) = 'house'
ON CONFLICT DO NOTHING;
