CREATE TABLE "platform_audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "platform_audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"asset" text,
	"amount" bigint,
	"ip" text,
	"user_agent" text,
	"request_id" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "platform_seed_runs" (
	"name" text PRIMARY KEY NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "platform_outbox_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "platform_outbox_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"type" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "platform_idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer NOT NULL,
	"content_type" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "platform_idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "platform_mail_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"html" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cards_sets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"release_date" date NOT NULL,
	"retired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cards_sets_code_format" CHECK ("cards_sets"."code" ~ '^[A-Z0-9][A-Z0-9-]{1,15}$')
);
--> statement-breakpoint
CREATE TABLE "cards_variants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"card_id" uuid NOT NULL,
	"level" smallint NOT NULL,
	"asset" text NOT NULL,
	"minted" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "cards_variants_minted_non_negative" CHECK ("cards_variants"."minted" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cards_cards" (
	"id" uuid PRIMARY KEY NOT NULL,
	"set_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"name" text NOT NULL,
	"rarity" text NOT NULL,
	"rarity_rank" smallint GENERATED ALWAYS AS (CASE "rarity" WHEN 'common' THEN 0 WHEN 'uncommon' THEN 1 WHEN 'rare' THEN 2 WHEN 'epic' THEN 3 WHEN 'legendary' THEN 4 WHEN 'mythic' THEN 5 ELSE -1 END) STORED NOT NULL,
	"element" text NOT NULL,
	"stats" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"text" text DEFAULT '' NOT NULL,
	"art_url" text,
	"max_supply" bigint,
	"max_level" smallint DEFAULT 3 NOT NULL,
	"price" bigint NOT NULL,
	"set_label" text NOT NULL,
	"search_text" text GENERATED ALWAYS AS ("name" || ' ' || "set_label" || ' ' || "element" || ' ' || "rarity") STORED NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, "name"), 'A') || setweight(to_tsvector('english'::regconfig, "set_label" || ' ' || "element" || ' ' || "rarity"), 'B') || setweight(to_tsvector('english'::regconfig, "text"), 'C')) STORED NOT NULL,
	"retired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cards_cards_rarity" CHECK ("cards_cards"."rarity" IN ('common', 'uncommon', 'rare', 'epic', 'legendary', 'mythic')),
	CONSTRAINT "cards_cards_number_positive" CHECK ("cards_cards"."number" > 0),
	CONSTRAINT "cards_cards_price_non_negative" CHECK ("cards_cards"."price" >= 0),
	CONSTRAINT "cards_cards_max_supply_positive" CHECK ("cards_cards"."max_supply" IS NULL OR "cards_cards"."max_supply" > 0),
	CONSTRAINT "cards_cards_max_level" CHECK ("cards_cards"."max_level" BETWEEN 0 AND 3)
);
--> statement-breakpoint
CREATE TABLE "cards_fairness_seeds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"server_seed" text NOT NULL,
	"server_seed_hash" text NOT NULL,
	"client_seed" text NOT NULL,
	"nonce" bigint DEFAULT 0 NOT NULL,
	"revealed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cards_opening_pulls" (
	"opening_id" uuid NOT NULL,
	"slot" smallint NOT NULL,
	"card_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"pity_applied" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cards_opening_pulls_opening_id_slot_pk" PRIMARY KEY("opening_id","slot")
);
--> statement-breakpoint
CREATE TABLE "cards_openings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"seed_id" uuid NOT NULL,
	"nonce" bigint NOT NULL,
	"client_seed" text NOT NULL,
	"server_seed_hash" text NOT NULL,
	"drop_table" jsonb NOT NULL,
	"drop_table_hash" text NOT NULL,
	"pity_before" integer NOT NULL,
	"pity_after" integer NOT NULL,
	"pity_applied" boolean NOT NULL,
	"supply" jsonb NOT NULL,
	"pulls" jsonb NOT NULL,
	"transfer_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cards_pack_products" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price" bigint NOT NULL,
	"set_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"slots" jsonb NOT NULL,
	"pity_rarity" text,
	"pity_packs" integer,
	"asset" text NOT NULL,
	"retired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cards_pack_products_price_positive" CHECK ("cards_pack_products"."price" > 0),
	CONSTRAINT "cards_pack_products_pity" CHECK (("cards_pack_products"."pity_rarity" IS NULL AND "cards_pack_products"."pity_packs" IS NULL) OR ("cards_pack_products"."pity_rarity" IN ('common', 'uncommon', 'rare', 'epic', 'legendary', 'mythic') AND "cards_pack_products"."pity_packs" >= 1))
);
--> statement-breakpoint
CREATE TABLE "cards_pity_counters" (
	"user_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"counter" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cards_pity_counters_user_id_product_id_pk" PRIMARY KEY("user_id","product_id"),
	CONSTRAINT "cards_pity_non_negative" CHECK ("cards_pity_counters"."counter" >= 0)
);
--> statement-breakpoint
CREATE TABLE "cards_upgrades" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"card_id" uuid NOT NULL,
	"from_level" smallint NOT NULL,
	"to_level" smallint NOT NULL,
	"copies" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"success_bps" integer NOT NULL,
	"roll" integer NOT NULL,
	"success" boolean NOT NULL,
	"seed_id" uuid NOT NULL,
	"nonce" bigint NOT NULL,
	"client_seed" text NOT NULL,
	"server_seed_hash" text NOT NULL,
	"transfer_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cards_wishlist" (
	"user_id" uuid NOT NULL,
	"card_id" uuid NOT NULL,
	"variant_level" smallint,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cards_wishlist_user_id_card_id_pk" PRIMARY KEY("user_id","card_id")
);
--> statement-breakpoint
CREATE TABLE "identity_activity" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"actor_id" uuid,
	"type" text NOT NULL,
	"ip" text,
	"user_agent" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_email_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity_refresh_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"rotated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity_sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"client" text NOT NULL,
	"user_agent" text,
	"ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text
);
--> statement-breakpoint
CREATE TABLE "identity_throttles" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"window_started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	CONSTRAINT "identity_throttles_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "identity_users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text,
	"username" text NOT NULL,
	"display_name" text,
	"bio" text,
	"avatar_url" text,
	"collection_visibility" text DEFAULT 'public' NOT NULL,
	"password_hash" text,
	"role" text DEFAULT 'user' NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"email_verified_at" timestamp with time zone,
	"password_changed_at" timestamp with time zone,
	"banned_at" timestamp with time zone,
	"ban_reason" text,
	"deleted_at" timestamp with time zone,
	"locale" text DEFAULT 'en' NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"notification_preferences" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identity_users_email_present" CHECK ("identity_users"."status" = 'deleted' OR "identity_users"."email" IS NOT NULL)
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"code" text,
	"owner_id" uuid,
	"purpose" text,
	"reference" text,
	"may_go_negative" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_shape" CHECK (("ledger_accounts"."kind" = 'user' AND "ledger_accounts"."owner_id" = "ledger_accounts"."id" AND NOT "ledger_accounts"."may_go_negative")
        OR ("ledger_accounts"."kind" = 'system' AND "ledger_accounts"."code" IS NOT NULL)
        OR ("ledger_accounts"."kind" = 'escrow' AND "ledger_accounts"."owner_id" IS NOT NULL AND "ledger_accounts"."purpose" IS NOT NULL
            AND "ledger_accounts"."reference" IS NOT NULL AND NOT "ledger_accounts"."may_go_negative"))
);
--> statement-breakpoint
CREATE TABLE "ledger_assets" (
	"code" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_assets_code_format" CHECK ("ledger_assets"."code" ~ '^[A-Z0-9][A-Z0-9_.:-]{0,63}$')
);
--> statement-breakpoint
CREATE TABLE "ledger_balances" (
	"account_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"available" bigint DEFAULT 0 NOT NULL,
	"held" bigint DEFAULT 0 NOT NULL,
	"may_go_negative" boolean DEFAULT false NOT NULL,
	CONSTRAINT "ledger_balances_account_id_asset_pk" PRIMARY KEY("account_id","asset"),
	CONSTRAINT "ledger_balances_no_overdraft" CHECK ("ledger_balances"."may_go_negative" OR "ledger_balances"."available" >= 0),
	CONSTRAINT "ledger_balances_held_non_negative" CHECK ("ledger_balances"."held" >= 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_daily_usage" (
	"account_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"day" date NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "ledger_daily_usage_account_id_kind_day_pk" PRIMARY KEY("account_id","kind","day")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transfer_id" uuid NOT NULL,
	"phase" text NOT NULL,
	"account_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"available_delta" bigint NOT NULL,
	"held_delta" bigint NOT NULL,
	"available_after" bigint NOT NULL,
	"held_after" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_payment_events" (
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"payment_id" uuid NOT NULL,
	"type" text NOT NULL,
	"outcome" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_payment_events_provider_event_id_pk" PRIMARY KEY("provider","event_id")
);
--> statement-breakpoint
CREATE TABLE "ledger_payments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"direction" text NOT NULL,
	"provider" text NOT NULL,
	"provider_payment_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text NOT NULL,
	"transfer_id" uuid,
	"checkout_url" text,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_payments_amount_positive" CHECK ("ledger_payments"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_transfer_legs" (
	"transfer_id" uuid NOT NULL,
	"idx" smallint NOT NULL,
	"from_account" uuid NOT NULL,
	"to_account" uuid NOT NULL,
	"asset" text NOT NULL,
	"amount" bigint NOT NULL,
	CONSTRAINT "ledger_transfer_legs_transfer_id_idx_pk" PRIMARY KEY("transfer_id","idx"),
	CONSTRAINT "ledger_legs_amount_positive" CHECK ("ledger_transfer_legs"."amount" > 0),
	CONSTRAINT "ledger_legs_distinct_accounts" CHECK ("ledger_transfer_legs"."from_account" <> "ledger_transfer_legs"."to_account")
);
--> statement-breakpoint
CREATE TABLE "ledger_transfers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"reference" text,
	"status" text NOT NULL,
	"memo" text,
	"actor_id" uuid,
	"timeout_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"type" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cards_variants" ADD CONSTRAINT "cards_variants_card_id_cards_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_cards" ADD CONSTRAINT "cards_cards_set_id_cards_sets_id_fk" FOREIGN KEY ("set_id") REFERENCES "public"."cards_sets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_opening_pulls" ADD CONSTRAINT "cards_opening_pulls_opening_id_cards_openings_id_fk" FOREIGN KEY ("opening_id") REFERENCES "public"."cards_openings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_opening_pulls" ADD CONSTRAINT "cards_opening_pulls_card_id_cards_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_openings" ADD CONSTRAINT "cards_openings_product_id_cards_pack_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."cards_pack_products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_openings" ADD CONSTRAINT "cards_openings_seed_id_cards_fairness_seeds_id_fk" FOREIGN KEY ("seed_id") REFERENCES "public"."cards_fairness_seeds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_pity_counters" ADD CONSTRAINT "cards_pity_counters_product_id_cards_pack_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."cards_pack_products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_upgrades" ADD CONSTRAINT "cards_upgrades_card_id_cards_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_upgrades" ADD CONSTRAINT "cards_upgrades_seed_id_cards_fairness_seeds_id_fk" FOREIGN KEY ("seed_id") REFERENCES "public"."cards_fairness_seeds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cards_wishlist" ADD CONSTRAINT "cards_wishlist_card_id_cards_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."cards_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_activity" ADD CONSTRAINT "identity_activity_user_id_identity_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."identity_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_activity" ADD CONSTRAINT "identity_activity_actor_id_identity_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."identity_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_email_tokens" ADD CONSTRAINT "identity_email_tokens_user_id_identity_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."identity_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_refresh_tokens" ADD CONSTRAINT "identity_refresh_tokens_session_id_identity_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."identity_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_sessions" ADD CONSTRAINT "identity_sessions_user_id_identity_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."identity_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_balances" ADD CONSTRAINT "ledger_balances_account_id_ledger_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_balances" ADD CONSTRAINT "ledger_balances_asset_ledger_assets_code_fk" FOREIGN KEY ("asset") REFERENCES "public"."ledger_assets"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_transfer_id_ledger_transfers_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."ledger_transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_asset_ledger_balances_account_id_asset_fk" FOREIGN KEY ("account_id","asset") REFERENCES "public"."ledger_balances"("account_id","asset") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_payment_events" ADD CONSTRAINT "ledger_payment_events_payment_id_ledger_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."ledger_payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_payments" ADD CONSTRAINT "ledger_payments_transfer_id_ledger_transfers_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."ledger_transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfer_legs" ADD CONSTRAINT "ledger_transfer_legs_transfer_id_ledger_transfers_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."ledger_transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfer_legs" ADD CONSTRAINT "ledger_transfer_legs_from_account_ledger_accounts_id_fk" FOREIGN KEY ("from_account") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfer_legs" ADD CONSTRAINT "ledger_transfer_legs_to_account_ledger_accounts_id_fk" FOREIGN KEY ("to_account") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfer_legs" ADD CONSTRAINT "ledger_transfer_legs_asset_ledger_assets_code_fk" FOREIGN KEY ("asset") REFERENCES "public"."ledger_assets"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "platform_audit_actor_idx" ON "platform_audit_log" USING btree ("actor_id","id");--> statement-breakpoint
CREATE INDEX "platform_audit_action_idx" ON "platform_audit_log" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "platform_audit_target_idx" ON "platform_audit_log" USING btree ("target_type","target_id","id");--> statement-breakpoint
CREATE INDEX "platform_outbox_pending_idx" ON "platform_outbox_events" USING btree ("aggregate_type","aggregate_id","seq") WHERE "platform_outbox_events"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "platform_outbox_status_idx" ON "platform_outbox_events" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "platform_idempotency_created_idx" ON "platform_idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "platform_mail_outbox_recipient_idx" ON "platform_mail_outbox" USING btree ("recipient","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_sets_code_key" ON "cards_sets" USING btree ("code");--> statement-breakpoint
CREATE INDEX "cards_sets_release_idx" ON "cards_sets" USING btree ("release_date","id");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_variants_card_level_key" ON "cards_variants" USING btree ("card_id","level");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_variants_asset_key" ON "cards_variants" USING btree ("asset");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_cards_set_number_key" ON "cards_cards" USING btree ("set_id","number");--> statement-breakpoint
CREATE INDEX "cards_cards_name_idx" ON "cards_cards" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "cards_cards_rarity_idx" ON "cards_cards" USING btree ("rarity_rank","id");--> statement-breakpoint
CREATE INDEX "cards_cards_price_idx" ON "cards_cards" USING btree ("price","id");--> statement-breakpoint
CREATE INDEX "cards_cards_created_idx" ON "cards_cards" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "cards_cards_element_idx" ON "cards_cards" USING btree ("element");--> statement-breakpoint
CREATE INDEX "cards_cards_search_idx" ON "cards_cards" USING gin ("search");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_fairness_seeds_active_key" ON "cards_fairness_seeds" USING btree ("user_id") WHERE "cards_fairness_seeds"."revealed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "cards_fairness_seeds_user_idx" ON "cards_fairness_seeds" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "cards_opening_pulls_card_idx" ON "cards_opening_pulls" USING btree ("card_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_openings_seed_nonce_key" ON "cards_openings" USING btree ("seed_id","nonce");--> statement-breakpoint
CREATE INDEX "cards_openings_user_idx" ON "cards_openings" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "cards_openings_product_idx" ON "cards_openings" USING btree ("product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_pack_products_asset_key" ON "cards_pack_products" USING btree ("asset");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_pack_products_name_key" ON "cards_pack_products" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "cards_upgrades_seed_nonce_key" ON "cards_upgrades" USING btree ("seed_id","nonce");--> statement-breakpoint
CREATE INDEX "cards_upgrades_card_idx" ON "cards_upgrades" USING btree ("card_id","created_at");--> statement-breakpoint
CREATE INDEX "cards_upgrades_user_idx" ON "cards_upgrades" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "cards_wishlist_card_idx" ON "cards_wishlist" USING btree ("card_id");--> statement-breakpoint
CREATE INDEX "identity_activity_user_idx" ON "identity_activity" USING btree ("user_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_email_tokens_hash_key" ON "identity_email_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "identity_email_tokens_user_idx" ON "identity_email_tokens" USING btree ("user_id","purpose");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_refresh_tokens_hash_key" ON "identity_refresh_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "identity_refresh_tokens_session_idx" ON "identity_refresh_tokens" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "identity_sessions_user_idx" ON "identity_sessions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "identity_sessions_user_ip_idx" ON "identity_sessions" USING btree ("user_id","ip");--> statement-breakpoint
CREATE INDEX "identity_throttles_window_idx" ON "identity_throttles" USING btree ("window_started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_users_email_key" ON "identity_users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_users_username_key" ON "identity_users" USING btree (lower("username"));--> statement-breakpoint
CREATE INDEX "identity_users_role_status_idx" ON "identity_users" USING btree ("role","status");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_code_key" ON "ledger_accounts" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_escrow_key" ON "ledger_accounts" USING btree ("purpose","reference") WHERE "ledger_accounts"."kind" = 'escrow';--> statement-breakpoint
CREATE INDEX "ledger_accounts_owner_idx" ON "ledger_accounts" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "ledger_entries" USING btree ("account_id","transfer_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_transfer_idx" ON "ledger_entries" USING btree ("transfer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_payments_provider_key" ON "ledger_payments" USING btree ("provider","provider_payment_id");--> statement-breakpoint
CREATE INDEX "ledger_payments_user_idx" ON "ledger_payments" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_transfers_pending_idx" ON "ledger_transfers" USING btree ("timeout_at") WHERE "ledger_transfers"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "ledger_transfers_reference_idx" ON "ledger_transfers" USING btree ("kind","reference");--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notifications" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("user_id") WHERE "notifications"."read_at" IS NULL;