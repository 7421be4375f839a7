CREATE TABLE "rewards_payouts" (
	"transfer_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"source" text NOT NULL,
	"points" bigint NOT NULL,
	"coins" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rewards_payouts_user_idx" ON "rewards_payouts" USING btree ("user_id","created_at");