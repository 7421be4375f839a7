import type { Side } from './types.ts';

/** One of a user's fills, as the history shows it. */
export interface UserFill {
  readonly id: string;
  /** The card variant traded; cost lots are kept per asset. */
  readonly assetId: string;
  readonly side: Side;
  readonly price: bigint;
  readonly quantity: bigint;
  /** Commission this user paid on this fill (0 when the other side paid it). */
  readonly fee: bigint;
  /** Epoch milliseconds. */
  readonly ts: number;
}

export interface FillPnl {
  readonly fillId: string;
  readonly assetId: string;
  readonly side: Side;
  /** Sells: cost of the FIFO lots consumed (buy price × quantity + buy fees, pro rata); null for buys. */
  readonly costBasis: bigint | null;
  /** Sells: proceeds of the covered quantity minus its cost basis; null for buys. */
  readonly realised: bigint | null;
  /**
   * Sold units with no recorded purchase to match (cards from packs, trades or gifts): they have no
   * market cost, so they are left out of `realised` rather than counted as pure profit.
   */
  readonly uncoveredQuantity: bigint;
}

export interface PositionPnl {
  readonly assetId: string;
  /** Units bought and not yet sold, with their remaining cost. */
  readonly openQuantity: bigint;
  readonly openCost: bigint;
  readonly realised: bigint;
}

export interface PnlReport {
  /** In the order the fills were processed (time, then input order). */
  readonly fills: readonly FillPnl[];
  readonly positions: readonly PositionPnl[];
  readonly totalRealised: bigint;
}

interface Lot {
  quantity: bigint;
  cost: bigint;
}

interface Position {
  lots: Lot[];
  head: number;
  realised: bigint;
}

/**
 * Realised profit with a FIFO cost basis: each buy opens a lot costing price × quantity + fee; each
 * sell consumes the oldest lots first and realises (price × quantity − fee) − cost. Partial lots are
 * split pro rata with the remainder kept in the lot, so cost is conserved to the minor unit; a sell
 * larger than the open lots realises only on the covered part (its proceeds pro rata, rounded down).
 */
export function realisedPnlFifo(fills: readonly UserFill[]): PnlReport {
  const ordered = fills.map((f, i) => ({ f, i })).sort((a, b) => a.f.ts - b.f.ts || a.i - b.i);
  const positions = new Map<string, Position>();
  const out: FillPnl[] = [];
  for (const { f } of ordered) {
    let position = positions.get(f.assetId);
    if (position === undefined) {
      position = { lots: [], head: 0, realised: 0n };
      positions.set(f.assetId, position);
    }
    if (f.side === 'buy') {
      position.lots.push({ quantity: f.quantity, cost: f.price * f.quantity + f.fee });
      out.push({
        fillId: f.id,
        assetId: f.assetId,
        side: 'buy',
        costBasis: null,
        realised: null,
        uncoveredQuantity: 0n,
      });
      continue;
    }
    const { covered, cost } = consume(position, f.quantity);
    const proceeds = f.price * f.quantity - f.fee;
    const coveredProceeds =
      covered === f.quantity ? proceeds : f.quantity > 0n ? (proceeds * covered) / f.quantity : 0n;
    const realised = coveredProceeds - cost;
    position.realised += realised;
    out.push({
      fillId: f.id,
      assetId: f.assetId,
      side: 'sell',
      costBasis: cost,
      realised,
      uncoveredQuantity: f.quantity - covered,
    });
  }
  const summary: PositionPnl[] = [];
  let totalRealised = 0n;
  for (const [assetId, p] of positions) {
    let openQuantity = 0n;
    let openCost = 0n;
    for (let i = p.head; i < p.lots.length; i++) {
      const lot = p.lots[i];
      if (lot === undefined) continue;
      openQuantity += lot.quantity;
      openCost += lot.cost;
    }
    summary.push({ assetId, openQuantity, openCost, realised: p.realised });
    totalRealised += p.realised;
  }
  return { fills: out, positions: summary, totalRealised };
}

function consume(position: Position, quantity: bigint): { covered: bigint; cost: bigint } {
  let need = quantity;
  let cost = 0n;
  while (need > 0n) {
    const lot = position.lots[position.head];
    if (lot === undefined) break;
    const take = lot.quantity < need ? lot.quantity : need;
    const part = take === lot.quantity ? lot.cost : (lot.cost * take) / lot.quantity;
    lot.quantity -= take;
    lot.cost -= part;
    cost += part;
    need -= take;
    if (lot.quantity === 0n) position.head += 1;
  }
  return { covered: quantity - need, cost };
}
