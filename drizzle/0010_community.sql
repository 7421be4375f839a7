CREATE TABLE "community_bot_notes" (
	"bot_id" uuid PRIMARY KEY NOT NULL,
	"strategy_id" uuid NOT NULL,
	"milestone_pct" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_comments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"parent_id" uuid,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"edited_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "community_comments_body_length" CHECK (char_length("community_comments"."body") <= 4000)
);
--> statement-breakpoint
CREATE TABLE "community_feed" (
	"id" uuid PRIMARY KEY NOT NULL,
	"actor_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"strategy_id" uuid NOT NULL,
	"bot_id" uuid,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_follows" (
	"follower_id" uuid NOT NULL,
	"target_type" text NOT NULL,
	"target_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "community_follows_follower_id_target_type_target_id_pk" PRIMARY KEY("follower_id","target_type","target_id")
);
--> statement-breakpoint
CREATE TABLE "community_forks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"source_strategy_id" uuid NOT NULL,
	"source_version" integer NOT NULL,
	"source_owner_id" uuid NOT NULL,
	"forked_strategy_id" uuid NOT NULL,
	"forked_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_hidden" (
	"target_type" text NOT NULL,
	"target_id" uuid NOT NULL,
	"hidden_by" uuid NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "community_hidden_target_type_target_id_pk" PRIMARY KEY("target_type","target_id")
);
--> statement-breakpoint
CREATE TABLE "community_likes" (
	"bot_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "community_likes_bot_id_user_id_pk" PRIMARY KEY("bot_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "community_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reporter_id" uuid NOT NULL,
	"target_type" text NOT NULL,
	"target_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"resolved_by" uuid,
	"resolution_note" text,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_sharing" (
	"strategy_id" uuid PRIMARY KEY NOT NULL,
	"owner_id" uuid NOT NULL,
	"visibility" text DEFAULT 'private' NOT NULL,
	"mode" text DEFAULT 'protected' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"link_token" text NOT NULL,
	"announced_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "community_comments_bot_idx" ON "community_comments" USING btree ("bot_id","id");--> statement-breakpoint
CREATE INDEX "community_comments_parent_idx" ON "community_comments" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "community_feed_actor_idx" ON "community_feed" USING btree ("actor_id","id");--> statement-breakpoint
CREATE INDEX "community_feed_strategy_idx" ON "community_feed" USING btree ("strategy_id","id");--> statement-breakpoint
CREATE INDEX "community_feed_bot_idx" ON "community_feed" USING btree ("bot_id","id");--> statement-breakpoint
CREATE INDEX "community_follows_target_idx" ON "community_follows" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "community_forks_forked_key" ON "community_forks" USING btree ("forked_strategy_id");--> statement-breakpoint
CREATE INDEX "community_forks_source_idx" ON "community_forks" USING btree ("source_strategy_id","id");--> statement-breakpoint
CREATE INDEX "community_likes_user_idx" ON "community_likes" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "community_reports_open_key" ON "community_reports" USING btree ("reporter_id","target_type","target_id") WHERE "community_reports"."status" = 'open';--> statement-breakpoint
CREATE INDEX "community_reports_status_idx" ON "community_reports" USING btree ("status","id");--> statement-breakpoint
CREATE UNIQUE INDEX "community_sharing_link_key" ON "community_sharing" USING btree ("link_token");--> statement-breakpoint
CREATE INDEX "community_sharing_public_idx" ON "community_sharing" USING btree ("strategy_id") WHERE "community_sharing"."visibility" = 'public';--> statement-breakpoint
CREATE INDEX "community_sharing_owner_idx" ON "community_sharing" USING btree ("owner_id");