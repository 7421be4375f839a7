CREATE TABLE "bot_backtests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"strategy_id" uuid NOT NULL,
	"strategy_version" integer NOT NULL,
	"variant_ids" uuid[] NOT NULL,
	"interval" text NOT NULL,
	"from" timestamp with time zone NOT NULL,
	"to" timestamp with time zone NOT NULL,
	"settings" jsonb NOT NULL,
	"status" text NOT NULL,
	"progress" real DEFAULT 0 NOT NULL,
	"result" jsonb,
	"result_hash" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "bot_equity" (
	"bot_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"equity" bigint NOT NULL,
	"cash" bigint NOT NULL,
	"benchmark" bigint,
	CONSTRAINT "bot_equity_bot_id_at_pk" PRIMARY KEY("bot_id","at")
);
--> statement-breakpoint
CREATE TABLE "bot_fills" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"order_id" uuid NOT NULL,
	"variant_id" uuid NOT NULL,
	"side" text NOT NULL,
	"price" bigint NOT NULL,
	"quantity" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot_orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"run_id" uuid,
	"variant_id" uuid NOT NULL,
	"side" text NOT NULL,
	"type" text NOT NULL,
	"price" bigint,
	"quantity" bigint NOT NULL,
	"filled" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"rejection" text,
	"exchange_order_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"tick" timestamp with time zone NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"error_kind" text,
	"error" text,
	"inputs_digest" text,
	"decisions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"orders" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fills" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"notes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"duration_ms" real NOT NULL,
	"cpu_ms" real NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot_strategies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"latest_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot_strategy_versions" (
	"strategy_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"document" jsonb,
	"source" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bot_strategy_versions_strategy_id_version_pk" PRIMARY KEY("strategy_id","version"),
	CONSTRAINT "bot_strategy_versions_content" CHECK (("bot_strategy_versions"."document" IS NULL) <> ("bot_strategy_versions"."source" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "bots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"strategy_id" uuid NOT NULL,
	"strategy_version" integer NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'stopped' NOT NULL,
	"variant_ids" uuid[] NOT NULL,
	"interval" text NOT NULL,
	"allocation" bigint NOT NULL,
	"settings" jsonb NOT NULL,
	"strategy_state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"book" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"pause_reason" text,
	"next_run_at" timestamp with time zone,
	"last_tick" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"started_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bots_allocation" CHECK ("bots"."allocation" >= 0)
);
--> statement-breakpoint
ALTER TABLE "bot_backtests" ADD CONSTRAINT "bot_backtests_strategy_id_bot_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."bot_strategies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_equity" ADD CONSTRAINT "bot_equity_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_fills" ADD CONSTRAINT "bot_fills_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_orders" ADD CONSTRAINT "bot_orders_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_runs" ADD CONSTRAINT "bot_runs_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_strategy_versions" ADD CONSTRAINT "bot_strategy_versions_strategy_id_bot_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."bot_strategies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bots" ADD CONSTRAINT "bots_strategy_id_bot_strategies_id_fk" FOREIGN KEY ("strategy_id") REFERENCES "public"."bot_strategies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bot_backtests_owner_idx" ON "bot_backtests" USING btree ("owner_id","id");--> statement-breakpoint
CREATE INDEX "bot_fills_bot_idx" ON "bot_fills" USING btree ("bot_id","at");--> statement-breakpoint
CREATE INDEX "bot_orders_bot_idx" ON "bot_orders" USING btree ("bot_id","id");--> statement-breakpoint
CREATE INDEX "bot_orders_open_idx" ON "bot_orders" USING btree ("bot_id") WHERE "bot_orders"."status" = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "bot_runs_tick_key" ON "bot_runs" USING btree ("bot_id","tick");--> statement-breakpoint
CREATE INDEX "bot_runs_bot_idx" ON "bot_runs" USING btree ("bot_id","id");--> statement-breakpoint
CREATE INDEX "bot_strategies_owner_idx" ON "bot_strategies" USING btree ("owner_id","id");--> statement-breakpoint
CREATE INDEX "bots_owner_idx" ON "bots" USING btree ("owner_id","id");--> statement-breakpoint
CREATE INDEX "bots_due_idx" ON "bots" USING btree ("next_run_at") WHERE "bots"."status" = 'running';