import type { Rule } from './rules.ts';
import type { Payout, RewardSpec } from './tables.ts';

/** Fact types recorded from domain events (rules may only count these). */
export const FACT_TYPES = {
  packOpened: 'cards.pack_opened',
  packPurchased: 'cards.pack_purchased',
  tradeCompleted: 'trades.completed',
  backtestDone: 'bots.backtest_done',
  checkin: 'rewards.checkin',
} as const;
export const KNOWN_FACT_TYPES: ReadonlySet<string> = new Set(Object.values(FACT_TYPES));

export interface CatalogueEntry {
  code: string;
  name: string;
  description: string;
  rule: Rule;
  reward: RewardSpec;
  payout: Payout;
}

/** The product's badges and achievements; start-up adds new ones and backfills them. */
export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    code: 'first_pack',
    name: 'First Pack',
    description: 'Open your first pack.',
    rule: { kind: 'count', type: FACT_TYPES.packOpened, threshold: 1 },
    reward: { points: 50 },
    payout: 'auto',
  },
  {
    code: 'packs_10',
    name: 'Pack Rat',
    description: 'Open 10 packs.',
    rule: { kind: 'count', type: FACT_TYPES.packOpened, threshold: 10 },
    reward: { points: 200, coins: 500 },
    payout: 'claim',
  },
  {
    code: 'packs_100',
    name: 'Pack Hoarder',
    description: 'Open 100 packs.',
    rule: { kind: 'count', type: FACT_TYPES.packOpened, threshold: 100 },
    reward: { points: 1000, coins: 2500 },
    payout: 'claim',
  },
  {
    code: 'first_purchase',
    name: 'Shopper',
    description: 'Buy your first pack.',
    rule: { kind: 'count', type: FACT_TYPES.packPurchased, threshold: 1 },
    reward: { points: 20 },
    payout: 'auto',
  },
  {
    code: 'first_trade',
    name: 'First Trade',
    description: 'Complete your first trade with another collector.',
    rule: { kind: 'count', type: FACT_TYPES.tradeCompleted, threshold: 1 },
    reward: { points: 50 },
    payout: 'auto',
  },
  {
    code: 'trades_10',
    name: 'Trader',
    description: 'Complete 10 trades.',
    rule: { kind: 'count', type: FACT_TYPES.tradeCompleted, threshold: 10 },
    reward: { points: 300, coins: 500 },
    payout: 'claim',
  },
  {
    code: 'trade_partners_5',
    name: 'Networker',
    description: 'Trade with 5 different collectors.',
    rule: { kind: 'distinct', type: FACT_TYPES.tradeCompleted, key: 'partnerId', threshold: 5 },
    reward: { points: 250 },
    payout: 'auto',
  },
  {
    code: 'first_backtest',
    name: 'Quant',
    description: 'Finish your first bot backtest.',
    rule: { kind: 'count', type: FACT_TYPES.backtestDone, threshold: 1 },
    reward: { points: 50 },
    payout: 'auto',
  },
  {
    code: 'streak_7',
    name: 'Regular',
    description: 'Check in 7 days in a row.',
    rule: { kind: 'streak', type: FACT_TYPES.checkin, threshold: 7 },
    reward: { points: 500, coins: 1000 },
    payout: 'claim',
  },
  {
    code: 'streak_30',
    name: 'Devoted',
    description: 'Check in 30 days in a row.',
    rule: { kind: 'streak', type: FACT_TYPES.checkin, threshold: 30 },
    reward: { points: 3000, coins: 5000 },
    payout: 'claim',
  },
];
