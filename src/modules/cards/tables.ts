import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import type { DropTable, Pull, RarityWeights, Supply } from './draw.ts';
import { RARITIES, VARIANTS, type Rarity } from './rarity.ts';

const at = (name: string) => timestamp(name, { withTimezone: true });

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const rarityList = sql.raw(RARITIES.map((r) => `'${r}'`).join(', '));
const rarityCheck = (column: AnyPgColumn) => sql`${column} IN (${rarityList})`;

/** Card stats shown on the card; all optional so sets can differ in what they rate. */
export interface CardStats {
  attack?: number;
  defense?: number;
  health?: number;
  cost?: number;
}

/** Card sets (expansions): a code, a name and a release date; a retired set's cards leave circulation. */
export const cardSets = pgTable(
  'cards_sets',
  {
    id: uuid('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    releaseDate: date('release_date', { mode: 'string' }).notNull(),
    retiredAt: at('retired_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cards_sets_code_key').on(t.code),
    index('cards_sets_release_idx').on(t.releaseDate, t.id),
    check('cards_sets_code_format', sql`${t.code} ~ '^[A-Z0-9][A-Z0-9-]{1,15}$'`),
  ],
);

/**
 * The catalogue. `set_label` copies the set's code and name so the search document lives in one
 * row (the set service rewrites it on rename). `minted` per variant is the issuance counter a
 * print run is checked against, not a holding: who owns what is only in the ledger.
 */
export const cards = pgTable(
  'cards_cards',
  {
    id: uuid('id').primaryKey(),
    setId: uuid('set_id')
      .notNull()
      .references(() => cardSets.id),
    number: integer('number').notNull(),
    name: text('name').notNull(),
    rarity: text('rarity').$type<Rarity>().notNull(),
    rarityRank: smallint('rarity_rank')
      .notNull()
      .generatedAlwaysAs(
        sql.raw(`CASE "rarity" ${RARITIES.map((r, i) => `WHEN '${r}' THEN ${i}`).join(' ')} ELSE -1 END`),
      ),
    element: text('element').notNull(),
    stats: jsonb('stats').$type<CardStats>().notNull().default({}),
    text: text('text').notNull().default(''),
    artUrl: text('art_url'),
    maxSupply: bigint('max_supply', { mode: 'bigint' }),
    /** Highest variant level this card can be upgraded to (0 = base only). */
    maxLevel: smallint('max_level').notNull().default(3),
    /** Reference price in coin minor units (catalogue value; the market sets real prices). */
    price: bigint('price', { mode: 'bigint' }).notNull(),
    setLabel: text('set_label').notNull(),
    searchText: text('search_text')
      .notNull()
      .generatedAlwaysAs(sql`"name" || ' ' || "set_label" || ' ' || "element" || ' ' || "rarity"`),
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        sql.raw(
          [
            `setweight(to_tsvector('english'::regconfig, "name"), 'A')`,
            `setweight(to_tsvector('english'::regconfig, "set_label" || ' ' || "element" || ' ' || "rarity"), 'B')`,
            `setweight(to_tsvector('english'::regconfig, "text"), 'C')`,
          ].join(' || '),
        ),
      ),
    retiredAt: at('retired_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cards_cards_set_number_key').on(t.setId, t.number),
    index('cards_cards_name_idx').on(t.name, t.id),
    index('cards_cards_rarity_idx').on(t.rarityRank, t.id),
    index('cards_cards_price_idx').on(t.price, t.id),
    index('cards_cards_created_idx').on(t.createdAt, t.id),
    index('cards_cards_element_idx').on(t.element),
    index('cards_cards_search_idx').using('gin', t.search),
    check('cards_cards_rarity', rarityCheck(t.rarity)),
    check('cards_cards_number_positive', sql`${t.number} > 0`),
    check('cards_cards_price_non_negative', sql`${t.price} >= 0`),
    check('cards_cards_max_supply_positive', sql`${t.maxSupply} IS NULL OR ${t.maxSupply} > 0`),
    check('cards_cards_max_level', sql`${t.maxLevel} BETWEEN 0 AND ${sql.raw(String(VARIANTS.length - 1))}`),
  ],
);

/** Each card at each upgrade level: the unit that is owned and traded, one ledger asset per variant. */
export const cardVariants = pgTable(
  'cards_variants',
  {
    id: uuid('id').primaryKey(),
    cardId: uuid('card_id')
      .notNull()
      .references(() => cards.id),
    level: smallint('level').notNull(),
    /** Ledger asset code of this variant. */
    asset: text('asset').notNull(),
    minted: bigint('minted', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
  },
  (t) => [
    uniqueIndex('cards_variants_card_level_key').on(t.cardId, t.level),
    uniqueIndex('cards_variants_asset_key').on(t.asset),
    check('cards_variants_minted_non_negative', sql`${t.minted} >= 0`),
  ],
);

/** A pack product: price, slots of rarity weights, pity rule; sealed packs are a ledger asset. */
export const packProducts = pgTable(
  'cards_pack_products',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    price: bigint('price', { mode: 'bigint' }).notNull(),
    /** Sets whose cards the pack draws from; empty = every set. */
    setIds: uuid('set_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    slots: jsonb('slots').$type<{ weights: RarityWeights }[]>().notNull(),
    pityRarity: text('pity_rarity').$type<Rarity>(),
    pityPacks: integer('pity_packs'),
    asset: text('asset').notNull(),
    retiredAt: at('retired_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cards_pack_products_asset_key').on(t.asset),
    uniqueIndex('cards_pack_products_name_key').on(sql`lower(${t.name})`),
    check('cards_pack_products_price_positive', sql`${t.price} > 0`),
    check(
      'cards_pack_products_pity',
      sql`(${t.pityRarity} IS NULL AND ${t.pityPacks} IS NULL) OR (${rarityCheck(t.pityRarity)} AND ${t.pityPacks} >= 1)`,
    ),
  ],
);

/**
 * A user's provably fair seeds. The active seed (not revealed) is the one in use; rotating reveals
 * it and starts a new one. The nonce counts openings and upgrades made with the seed.
 */
export const fairnessSeeds = pgTable(
  'cards_fairness_seeds',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    serverSeed: text('server_seed').notNull(),
    serverSeedHash: text('server_seed_hash').notNull(),
    clientSeed: text('client_seed').notNull(),
    nonce: bigint('nonce', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    revealedAt: at('revealed_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cards_fairness_seeds_active_key')
      .on(t.userId)
      .where(sql`${t.revealedAt} IS NULL`),
    index('cards_fairness_seeds_user_idx').on(t.userId, t.createdAt),
  ],
);

/** Packs opened in a row without a card of the product's pity rarity, per user and product. */
export const pityCounters = pgTable(
  'cards_pity_counters',
  {
    userId: uuid('user_id').notNull(),
    productId: uuid('product_id')
      .notNull()
      .references(() => packProducts.id),
    counter: integer('counter').notNull().default(0),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.productId] }), check('cards_pity_non_negative', sql`${t.counter} >= 0`)],
);

/** One opened pack with every input its proof needs. */
export const openings = pgTable(
  'cards_openings',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    productId: uuid('product_id')
      .notNull()
      .references(() => packProducts.id),
    seedId: uuid('seed_id')
      .notNull()
      .references(() => fairnessSeeds.id),
    nonce: bigint('nonce', { mode: 'bigint' }).notNull(),
    clientSeed: text('client_seed').notNull(),
    serverSeedHash: text('server_seed_hash').notNull(),
    dropTable: jsonb('drop_table').$type<DropTable>().notNull(),
    dropTableHash: text('drop_table_hash').notNull(),
    pityBefore: integer('pity_before').notNull(),
    pityAfter: integer('pity_after').notNull(),
    pityApplied: boolean('pity_applied').notNull(),
    supply: jsonb('supply').$type<Supply>().notNull(),
    pulls: jsonb('pulls').$type<Pull[]>().notNull(),
    transferId: uuid('transfer_id').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cards_openings_seed_nonce_key').on(t.seedId, t.nonce),
    index('cards_openings_user_idx').on(t.userId, t.createdAt),
    index('cards_openings_product_idx').on(t.productId),
  ],
);

/** Each card an opening produced, for stats (pulls observed) and history; no user data. */
export const openingPulls = pgTable(
  'cards_opening_pulls',
  {
    openingId: uuid('opening_id')
      .notNull()
      .references(() => openings.id),
    slot: smallint('slot').notNull(),
    cardId: uuid('card_id')
      .notNull()
      .references(() => cards.id),
    productId: uuid('product_id').notNull(),
    pityApplied: boolean('pity_applied').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.openingId, t.slot] }),
    index('cards_opening_pulls_card_idx').on(t.cardId, t.createdAt),
  ],
);

/** One upgrade attempt with its proof inputs. */
export const upgrades = pgTable(
  'cards_upgrades',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    cardId: uuid('card_id')
      .notNull()
      .references(() => cards.id),
    fromLevel: smallint('from_level').notNull(),
    toLevel: smallint('to_level').notNull(),
    copies: bigint('copies', { mode: 'bigint' }).notNull(),
    fee: bigint('fee', { mode: 'bigint' }).notNull(),
    successBps: integer('success_bps').notNull(),
    roll: integer('roll').notNull(),
    success: boolean('success').notNull(),
    seedId: uuid('seed_id')
      .notNull()
      .references(() => fairnessSeeds.id),
    nonce: bigint('nonce', { mode: 'bigint' }).notNull(),
    clientSeed: text('client_seed').notNull(),
    serverSeedHash: text('server_seed_hash').notNull(),
    transferId: uuid('transfer_id').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cards_upgrades_seed_nonce_key').on(t.seedId, t.nonce),
    index('cards_upgrades_card_idx').on(t.cardId, t.createdAt),
    index('cards_upgrades_user_idx').on(t.userId, t.createdAt),
  ],
);

/** Cards a user wants, optionally at one variant level, with a note: what trade-partner matching covers. */
export const wishlist = pgTable(
  'cards_wishlist',
  {
    userId: uuid('user_id').notNull(),
    cardId: uuid('card_id')
      .notNull()
      .references(() => cards.id),
    /** The variant wanted; null = any. */
    variantLevel: smallint('variant_level'),
    note: text('note'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.cardId] }),
    // Who wants a card: covering (level and user), so trade-partner matching reads only the index.
    index('cards_wishlist_card_idx').on(t.cardId, t.variantLevel, t.userId),
  ],
);
