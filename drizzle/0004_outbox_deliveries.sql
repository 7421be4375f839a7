CREATE TABLE "platform_outbox_deliveries" (
	"event_id" uuid NOT NULL,
	"handler" text NOT NULL,
	"delivered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "platform_outbox_deliveries_event_id_handler_pk" PRIMARY KEY("event_id","handler")
);
