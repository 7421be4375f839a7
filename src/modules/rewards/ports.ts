// Everything the rewards module needs from other modules, in one place.

export {
  COIN,
  POINTS,
  TransferExistsError,
  assetRanking,
  balances,
  ensureWallet,
  systemShard,
  transfer,
  walletAccountId,
  type Leg,
} from '../ledger/index.ts';
export { CARDS_EVENTS } from '../cards/index.ts';
export { TRADES_EVENTS } from '../trades/index.ts';
export { BOTS_EVENTS } from '../bots/index.ts';
export { boardUsers, guard, principalOf } from '../identity/index.ts';
