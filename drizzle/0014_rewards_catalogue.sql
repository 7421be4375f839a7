CREATE TABLE "rewards_achievements" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"rule" jsonb NOT NULL,
	"reward" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"payout" text DEFAULT 'auto' NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"backfilled_rule" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rewards_checkins" (
	"user_id" uuid NOT NULL,
	"day" date NOT NULL,
	"streak" integer NOT NULL,
	"points" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rewards_checkins_user_id_day_pk" PRIMARY KEY("user_id","day")
);
--> statement-breakpoint
CREATE TABLE "rewards_facts" (
	"user_id" uuid NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"attrs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"day" date NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rewards_facts_user_id_event_id_type_pk" PRIMARY KEY("user_id","event_id","type")
);
--> statement-breakpoint
CREATE TABLE "rewards_progress" (
	"user_id" uuid NOT NULL,
	"code" text NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone,
	"paid_transfer_id" uuid,
	"paid_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rewards_progress_user_id_code_pk" PRIMARY KEY("user_id","code"),
	CONSTRAINT "rewards_progress_nonneg" CHECK ("rewards_progress"."progress" >= 0)
);
--> statement-breakpoint
ALTER TABLE "rewards_progress" ADD CONSTRAINT "rewards_progress_code_rewards_achievements_code_fk" FOREIGN KEY ("code") REFERENCES "public"."rewards_achievements"("code") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rewards_facts_type_user_idx" ON "rewards_facts" USING btree ("type","user_id");--> statement-breakpoint
CREATE INDEX "rewards_progress_code_idx" ON "rewards_progress" USING btree ("code","completed_at");--> statement-breakpoint
-- Reward points: a ledger asset earned from the rewards account, never sent between users.
INSERT INTO ledger_assets (code, kind) VALUES ('POINTS', 'currency') ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- The rewards account pays achievement rewards and check-in points. Like mint and house it may go
-- negative (its balance is what the platform has given away), sharded 16 ways.
INSERT INTO ledger_accounts (id, kind, code, may_go_negative)
SELECT format('00000000-0000-4000-80%s-000000000005', lpad(to_hex(s), 2, '0'))::uuid,
       'system', CASE WHEN s = 0 THEN 'rewards' ELSE 'rewards.' || s END, true
FROM generate_series(0, 15) AS s
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO ledger_balances (account_id, asset, may_go_negative)
SELECT a.id, x.asset, true
FROM ledger_accounts a CROSS JOIN (VALUES ('COIN'), ('POINTS')) AS x(asset)
WHERE a.kind = 'system' AND split_part(a.code, '.', 1) = 'rewards'
ON CONFLICT DO NOTHING;
