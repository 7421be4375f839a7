CREATE TABLE "leaderboard_bot_versions" (
	"bot_id" uuid PRIMARY KEY NOT NULL,
	"strategy_version" integer NOT NULL,
	"since" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leaderboard_dirty" (
	"bot_id" uuid PRIMARY KEY NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leaderboard_entries" (
	"board" text NOT NULL,
	"period" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"variant_ids" uuid[] NOT NULL,
	"set_ids" uuid[] NOT NULL,
	"qualified" boolean NOT NULL,
	"reason" text,
	"total_return" double precision,
	"sharpe" double precision,
	"max_drawdown" double precision,
	"profit_factor" double precision,
	"amount" bigint,
	"trades" integer NOT NULL,
	"rank_return" integer,
	"rank_sharpe" integer,
	"rank_max_drawdown" integer,
	"rank_profit_factor" integer,
	"rank_amount" integer,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "leaderboard_entries_board_period_subject_id_pk" PRIMARY KEY("board","period","subject_id"),
	CONSTRAINT "leaderboard_entries_trades" CHECK ("leaderboard_entries"."trades" >= 0)
);
--> statement-breakpoint
CREATE INDEX "leaderboard_entries_return_idx" ON "leaderboard_entries" USING btree ("board","period","rank_return");--> statement-breakpoint
CREATE INDEX "leaderboard_entries_sharpe_idx" ON "leaderboard_entries" USING btree ("board","period","rank_sharpe");--> statement-breakpoint
CREATE INDEX "leaderboard_entries_drawdown_idx" ON "leaderboard_entries" USING btree ("board","period","rank_max_drawdown");--> statement-breakpoint
CREATE INDEX "leaderboard_entries_pf_idx" ON "leaderboard_entries" USING btree ("board","period","rank_profit_factor");--> statement-breakpoint
CREATE INDEX "leaderboard_entries_amount_idx" ON "leaderboard_entries" USING btree ("board","period","rank_amount");--> statement-breakpoint
CREATE INDEX "leaderboard_entries_owner_idx" ON "leaderboard_entries" USING btree ("owner_id","board","period");--> statement-breakpoint
CREATE INDEX "leaderboard_entries_subject_idx" ON "leaderboard_entries" USING btree ("subject_id");