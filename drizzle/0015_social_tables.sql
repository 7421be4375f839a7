CREATE TABLE "social_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "social_dirty" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "social_matches" (
	"user_id" uuid NOT NULL,
	"partner_id" uuid NOT NULL,
	"mutual" integer NOT NULL,
	"coverage" integer NOT NULL,
	"value" bigint NOT NULL,
	"give" jsonb NOT NULL,
	"get" jsonb NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_matches_user_id_partner_id_pk" PRIMARY KEY("user_id","partner_id")
);
--> statement-breakpoint
CREATE TABLE "social_message_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"message_id" uuid NOT NULL,
	"reporter_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"resolved_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "social_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sender_id" uuid NOT NULL,
	"recipient_id" uuid NOT NULL,
	"pair_low" uuid NOT NULL,
	"pair_high" uuid NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_at" timestamp with time zone,
	CONSTRAINT "social_messages_pair" CHECK ("social_messages"."pair_low" < "social_messages"."pair_high")
);
--> statement-breakpoint
CREATE TABLE "social_profiles" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"showcase" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "social_spares" (
	"user_id" uuid NOT NULL,
	"variant_id" uuid NOT NULL,
	"card_id" uuid NOT NULL,
	"level" smallint NOT NULL,
	"spare" bigint NOT NULL,
	CONSTRAINT "social_spares_user_id_variant_id_pk" PRIMARY KEY("user_id","variant_id"),
	CONSTRAINT "social_spares_positive" CHECK ("social_spares"."spare" > 0)
);
--> statement-breakpoint
ALTER TABLE "social_message_reports" ADD CONSTRAINT "social_message_reports_message_id_social_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."social_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "social_matches_rank_idx" ON "social_matches" USING btree ("user_id","mutual","coverage","value","partner_id");--> statement-breakpoint
CREATE INDEX "social_matches_partner_idx" ON "social_matches" USING btree ("partner_id");--> statement-breakpoint
CREATE UNIQUE INDEX "social_message_reports_key" ON "social_message_reports" USING btree ("message_id","reporter_id");--> statement-breakpoint
CREATE INDEX "social_message_reports_status_idx" ON "social_message_reports" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "social_messages_pair_idx" ON "social_messages" USING btree ("pair_low","pair_high","id");--> statement-breakpoint
CREATE INDEX "social_messages_sender_idx" ON "social_messages" USING btree ("sender_id","id");--> statement-breakpoint
CREATE INDEX "social_messages_recipient_idx" ON "social_messages" USING btree ("recipient_id","id");--> statement-breakpoint
CREATE INDEX "social_messages_unread_idx" ON "social_messages" USING btree ("recipient_id","sender_id") WHERE "social_messages"."read_at" IS NULL;--> statement-breakpoint
CREATE INDEX "social_spares_card_idx" ON "social_spares" USING btree ("card_id","level","user_id");