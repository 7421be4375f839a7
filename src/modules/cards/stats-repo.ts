import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { DropTable } from './draw.ts';
import { openingPulls, openings, packProducts, upgrades } from './tables.ts';

/**
 * Openings per product, drop table and pity flag, with one opening's table standing for each group.
 * Only products that could draw the card are grouped: those drawing from its set (or from every
 * set) and those that ever produced it.
 */
export async function openingGroups(db: Db, card: { id: string; setId: string }) {
  const r = await db.execute<{
    product_id: string;
    name: string;
    pity_applied: boolean;
    openings: number;
    drop_table: DropTable;
  }>(sql`
    SELECT g.product_id, p.name, g.pity_applied, g.openings, o.drop_table
    FROM (
      SELECT product_id, drop_table_hash, pity_applied, count(*)::int AS openings,
             (array_agg(id ORDER BY id))[1] AS sample_id
      FROM ${openings}
      WHERE product_id IN (
        SELECT id FROM ${packProducts} WHERE cardinality(set_ids) = 0 OR ${card.setId}::uuid = ANY(set_ids)
        UNION
        SELECT product_id FROM ${openingPulls} WHERE card_id = ${card.id}
      )
      GROUP BY product_id, drop_table_hash, pity_applied
    ) g
    JOIN ${openings} o ON o.id = g.sample_id
    JOIN ${packProducts} p ON p.id = g.product_id`);
  return r.rows;
}

export async function pullsOfCard(db: Db, cardId: string): Promise<Map<string, number>> {
  const r = await db.execute<{ product_id: string; n: number }>(sql`
    SELECT product_id, count(*)::int AS n FROM ${openingPulls} WHERE card_id = ${cardId} GROUP BY product_id`);
  return new Map(r.rows.map((row) => [row.product_id, row.n]));
}

export type Bucket = 'day' | 'week' | 'month';

export interface HistoryRow {
  period: Date;
  pulled: number;
  upgradeAttempts: number;
  upgradedInto: number;
  burned: bigint;
}

/**
 * Copies of a card entering and leaving circulation per period: pulled from packs, minted by
 * upgrades into this card's higher variants, burned by upgrade attempts. Counts only, no users.
 */
export async function cardHistory(db: Db, cardId: string, bucket: Bucket, from: Date, to: Date): Promise<HistoryRow[]> {
  const unit = sql.raw(`'${bucket}'`);
  const r = await db.execute<{
    period: Date | string;
    pulled: number;
    attempts: number;
    upgraded: number;
    burned: string | bigint;
  }>(sql`
    WITH events AS (
      SELECT date_trunc(${unit}, created_at, 'UTC') AS period, 1 AS pulled, 0 AS attempts, 0 AS upgraded, 0::bigint AS burned
      FROM ${openingPulls} WHERE card_id = ${cardId} AND created_at >= ${from} AND created_at < ${to}
      UNION ALL
      SELECT date_trunc(${unit}, created_at, 'UTC'), 0, 1, CASE WHEN success THEN 1 ELSE 0 END, copies
      FROM ${upgrades} WHERE card_id = ${cardId} AND created_at >= ${from} AND created_at < ${to}
    )
    SELECT period, sum(pulled)::int AS pulled, sum(attempts)::int AS attempts, sum(upgraded)::int AS upgraded,
           sum(burned)::bigint AS burned
    FROM events GROUP BY period ORDER BY period`);
  return r.rows.map((row) => ({
    period: new Date(row.period),
    pulled: row.pulled,
    upgradeAttempts: row.attempts,
    upgradedInto: row.upgraded,
    burned: BigInt(row.burned),
  }));
}
