CREATE TABLE "crowdfunding_campaigns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"creator_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"goal" bigint NOT NULL,
	"pledged" bigint DEFAULT 0 NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"escrow_account_id" uuid NOT NULL,
	"fee" bigint,
	"payout" bigint,
	"reject_reason" text,
	"reviewed_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "crowdfunding_campaigns_goal" CHECK ("crowdfunding_campaigns"."goal" > 0),
	CONSTRAINT "crowdfunding_campaigns_pledged" CHECK ("crowdfunding_campaigns"."pledged" >= 0)
);
--> statement-breakpoint
CREATE TABLE "crowdfunding_pledges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"backer_id" uuid NOT NULL,
	"tier_id" uuid,
	"amount" bigint NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crowdfunding_pledges_amount" CHECK ("crowdfunding_pledges"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "crowdfunding_tiers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"min_pledge" bigint NOT NULL,
	"quantity" integer NOT NULL,
	"claimed" integer DEFAULT 0 NOT NULL,
	"cards" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "crowdfunding_tiers_claimed" CHECK ("crowdfunding_tiers"."claimed" >= 0 AND "crowdfunding_tiers"."claimed" <= "crowdfunding_tiers"."quantity"),
	CONSTRAINT "crowdfunding_tiers_min_pledge" CHECK ("crowdfunding_tiers"."min_pledge" > 0)
);
--> statement-breakpoint
CREATE TABLE "crowdfunding_updates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crowdfunding_pledges" ADD CONSTRAINT "crowdfunding_pledges_campaign_id_crowdfunding_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."crowdfunding_campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crowdfunding_pledges" ADD CONSTRAINT "crowdfunding_pledges_tier_id_crowdfunding_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."crowdfunding_tiers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crowdfunding_tiers" ADD CONSTRAINT "crowdfunding_tiers_campaign_id_crowdfunding_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."crowdfunding_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crowdfunding_updates" ADD CONSTRAINT "crowdfunding_updates_campaign_id_crowdfunding_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."crowdfunding_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crowdfunding_campaigns_state_deadline_idx" ON "crowdfunding_campaigns" USING btree ("state","deadline","id");--> statement-breakpoint
CREATE INDEX "crowdfunding_campaigns_state_pledged_idx" ON "crowdfunding_campaigns" USING btree ("state","pledged","id");--> statement-breakpoint
CREATE INDEX "crowdfunding_campaigns_creator_idx" ON "crowdfunding_campaigns" USING btree ("creator_id","id");--> statement-breakpoint
CREATE INDEX "crowdfunding_pledges_campaign_idx" ON "crowdfunding_pledges" USING btree ("campaign_id","status","id");--> statement-breakpoint
CREATE INDEX "crowdfunding_pledges_backer_idx" ON "crowdfunding_pledges" USING btree ("backer_id","id");--> statement-breakpoint
CREATE INDEX "crowdfunding_tiers_campaign_idx" ON "crowdfunding_tiers" USING btree ("campaign_id","position");--> statement-breakpoint
CREATE INDEX "crowdfunding_updates_campaign_idx" ON "crowdfunding_updates" USING btree ("campaign_id","id");