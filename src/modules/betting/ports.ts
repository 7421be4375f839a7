// Everything the betting module needs from other modules, in one place.

export {
  COIN,
  InsufficientFundsError,
  UnknownAccountError,
  LedgerBatch,
  balances,
  SYSTEM_ACCOUNTS,
  ensureWallet,
  openEscrow,
  reconcile,
  registerDepositGuard,
  systemShard,
  transfer,
  walletAccountId,
  type DepositGuard,
  type Leg,
} from '../ledger/index.ts';
export { findVariantRef, tradableBaseVariants } from '../cards/index.ts';
export { recordedCandles, tradeCountSince } from '../market/index.ts';
export { DEMO_ACCOUNTS, DEMO_TRADERS, findUserRef, guard, principalOf } from '../identity/index.ts';
export { notify } from '../notifications/index.ts';
