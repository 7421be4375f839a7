CREATE TABLE "market_books" (
	"variant_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
