/*
 * Trade-partner matching, without I/O. A user's tradeable duplicates ("spares") are the copies of a
 * variant beyond the first in their wallet; a wish names a card and optionally the variant level
 * wanted. A partner matches when their spares cover at least one of my wishes and my spares cover at
 * least one of theirs. Each covered wish is met with one copy of the best covering variant (highest
 * price, then highest level, then lowest variant id), so the swap never asks for more than is spare.
 */

export interface Spare {
  variantId: string;
  cardId: string;
  level: number;
  spare: bigint;
}

export interface Wish {
  cardId: string;
  /** The variant level wanted; null = any. */
  level: number | null;
}

export interface Side {
  spares: readonly Spare[];
  wishes: readonly Wish[];
}

export interface Line {
  variantId: string;
  cardId: string;
  quantity: number;
  price: bigint;
}

export interface Match {
  partnerId: string;
  /** Copies I give (they wish for them) and copies I get (I wish for them). */
  give: Line[];
  get: Line[];
  /** The smaller of the two covered-wish counts; the first ranking key. */
  mutual: number;
  /** Covered wishes on both sides together. */
  coverage: number;
  /** Catalogue value of everything in the swap. */
  value: bigint;
}

export type PriceOf = (variantId: string) => bigint;

const covers = (s: Spare, w: Wish) =>
  s.cardId === w.cardId && s.spare > 0n && (w.level === null || s.level === w.level);

function better(a: Spare, b: Spare, price: PriceOf): boolean {
  const pa = price(a.variantId);
  const pb = price(b.variantId);
  if (pa !== pb) return pa > pb;
  if (a.level !== b.level) return a.level > b.level;
  return a.variantId < b.variantId;
}

/** One line per wish of `wants` that `has` covers, in wish order (card id). */
export function coverWishes(has: readonly Spare[], wants: readonly Wish[], price: PriceOf): Line[] {
  const byCard = new Map<string, Spare[]>();
  for (const s of has) if (s.spare > 0n) byCard.set(s.cardId, [...(byCard.get(s.cardId) ?? []), s]);
  const lines: Line[] = [];
  for (const w of [...wants].sort((a, b) => (a.cardId < b.cardId ? -1 : a.cardId > b.cardId ? 1 : 0))) {
    let best: Spare | undefined;
    for (const s of byCard.get(w.cardId) ?? []) if (covers(s, w) && (!best || better(s, best, price))) best = s;
    if (best) lines.push({ variantId: best.variantId, cardId: best.cardId, quantity: 1, price: price(best.variantId) });
  }
  return lines;
}

const sum = (lines: readonly Line[]) => lines.reduce((acc, l) => acc + l.price * BigInt(l.quantity), 0n);

/** The match of `me` with one partner, or null when either side covers nothing of the other's wishes. */
export function matchPair(me: Side, partnerId: string, partner: Side, price: PriceOf): Match | null {
  const get = coverWishes(partner.spares, me.wishes, price);
  if (get.length === 0) return null;
  const give = coverWishes(me.spares, partner.wishes, price);
  if (give.length === 0) return null;
  return {
    partnerId,
    give,
    get,
    mutual: Math.min(give.length, get.length),
    coverage: give.length + get.length,
    value: sum(give) + sum(get),
  };
}

/** Best first: mutual coverage, then total coverage, then value; ties by partner id, descending (as stored pages). */
export function compareMatches(a: Match, b: Match): number {
  if (a.mutual !== b.mutual) return b.mutual - a.mutual;
  if (a.coverage !== b.coverage) return b.coverage - a.coverage;
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  return a.partnerId > b.partnerId ? -1 : a.partnerId < b.partnerId ? 1 : 0;
}

/** Every match of `me` among `partners`, ranked, at most `limit`. */
export function rankMatches(me: Side, partners: ReadonlyMap<string, Side>, price: PriceOf, limit: number): Match[] {
  const found: Match[] = [];
  for (const [id, side] of partners) {
    const m = matchPair(me, id, side, price);
    if (m) found.push(m);
  }
  return found.sort(compareMatches).slice(0, limit);
}

/** The same match seen from the partner: what I give they get. */
export function mirror(m: Match, myId: string): Match {
  return { ...m, partnerId: myId, give: m.get, get: m.give };
}
