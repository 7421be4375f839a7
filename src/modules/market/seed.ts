import type { Seeder } from '../../platform/db/seed.ts';
import type { Db } from '../../platform/db/tx.ts';
import { addMinted, tradableBaseVariants } from '../cards/index.ts';
import { DEMO_TRADERS, findUserRef } from '../identity/index.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallet, transfer, walletAccountId, type Leg } from '../ledger/index.ts';
import { placeOrder } from './service.ts';

const DAY_MS = 24 * 3_600_000;
/** How much history the demo exchange starts with, and on how many cards. */
export const DEMO_HISTORY_DAYS = 30;
export const DEMO_BOOKS = 8;
const TRADER_COINS = 5_000_000n;
const TRADER_COPIES = 80n;
const LEGS_PER_TRANSFER = 60;

/** A small seeded generator (mulberry32): the same history on every install. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * About a month of trading on the DEMO_BOOKS cards, then resting bids, asks and marketplace listings
 * around each last price. Every trade is a real maker order and a real taker order through the
 * exchange's matching and the ledger (recorded at past times), so books, tickers and candles show
 * data on first start and the books reconcile.
 */
export const demoMarketSeeder: Seeder = {
  name: 'market.demo-history',
  demo: true,
  async run(tx) {
    const traders: string[] = [];
    for (const username of DEMO_TRADERS) {
      const user = await findUserRef(tx, username);
      if (user) traders.push(user.id);
    }
    const catalogue = await tradableBaseVariants(tx);
    if (traders.length < 2 || catalogue.length === 0) return;
    const step = Math.max(1, Math.floor(catalogue.length / DEMO_BOOKS));
    const books = catalogue.filter((_, i) => i % step === 0).slice(0, DEMO_BOOKS);
    await stockTraders(tx, traders, books);

    const random = seeded(20_261_122);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const now = Date.now();
    const start = now - DEMO_HISTORY_DAYS * DAY_MS;
    for (const book of books) {
      const reference = Math.max(20, Number(book.price));
      // Trading picks up over the month: from about one session every two days to three a day.
      const busy = 0.5 + random();
      const sessionsPerDay = (at: number) => busy * (0.4 + (2.4 * (at - start)) / (now - start));
      let price = reference;
      let at = start + random() * DAY_MS;
      while (at < now - 3_600_000) {
        // A random walk that drifts back towards the catalogue price.
        const drift = (0.05 * (reference - price)) / reference;
        price = Math.max(2, Math.round(price * (1 + (random() - 0.5) * 0.08 + drift)));
        // A session: two or three makers rest orders a tick or two apart, then one taker sweeps them.
        const side = random() < 0.5 ? 'sell' : 'buy';
        const makers = traders.filter(() => random() < 0.6).slice(0, 3);
        const taker = traders.find((t) => !makers.includes(t));
        if (makers.length === 0 || !taker) {
          at += DAY_MS / sessionsPerDay(at);
          continue;
        }
        let total = 0n;
        let worst = price;
        for (const [i, maker] of makers.entries()) {
          const quantity = BigInt(1 + Math.floor(random() * 3));
          worst = side === 'sell' ? price + i : Math.max(1, price - i);
          total += quantity;
          await placeOrder(tx, {
            variantId: book.variantId,
            userId: maker,
            side,
            type: 'limit',
            timeInForce: 'GTC',
            price: BigInt(worst),
            quantity,
            at: new Date(at + i * 60_000),
            replay: true,
          });
        }
        await placeOrder(tx, {
          variantId: book.variantId,
          userId: taker,
          side: side === 'sell' ? 'buy' : 'sell',
          type: 'limit',
          timeInForce: 'IOC',
          price: BigInt(worst),
          quantity: total,
          at: new Date(at + 5 * 60_000 + Math.floor(random() * 600_000)),
          replay: true,
        });
        at += (0.3 + random() * 1.4) * (DAY_MS / sessionsPerDay(at));
      }
      // The book as it stands now: four levels a side, every other ask a marketplace listing.
      for (let level = 1; level <= 4; level++) {
        const gap = Math.max(1, Math.round(price * 0.02 * level));
        const quantity = BigInt(1 + Math.floor(random() * 3));
        const base = { variantId: book.variantId, type: 'limit' as const, timeInForce: 'GTC' as const, quantity };
        await placeOrder(tx, { ...base, userId: pick(traders), side: 'buy', price: BigInt(Math.max(1, price - gap)) });
        await placeOrder(tx, {
          ...base,
          userId: pick(traders),
          side: 'sell',
          price: BigInt(price + gap),
          source: level % 2 === 0 ? 'listing' : 'order',
        });
      }
    }
  },
};

/** Coins and copies of each demo card for the market makers, minted through the ledger. */
async function stockTraders(tx: Db, traders: string[], books: { variantId: string; asset: string }[]) {
  const legs: Leg[] = [];
  for (const trader of traders) {
    await ensureWallet(tx, trader);
    legs.push({ from: SYSTEM_ACCOUNTS.gateway, to: walletAccountId(trader), asset: COIN, amount: TRADER_COINS });
    for (const b of books) {
      if (!(await addMinted(tx, b.variantId, TRADER_COPIES))) continue;
      legs.push({ from: SYSTEM_ACCOUNTS.mint, to: walletAccountId(trader), asset: b.asset, amount: TRADER_COPIES });
    }
  }
  for (let i = 0; i < legs.length; i += LEGS_PER_TRANSFER) {
    await transfer(tx, { kind: 'demo.grant', legs: legs.slice(i, i + LEGS_PER_TRANSFER) });
  }
}
