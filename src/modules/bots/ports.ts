// Everything the bots module needs from other modules, in one place.

export {
  COIN,
  balances,
  ensureWallet,
  transfer,
  walletAccountId,
  InsufficientFundsError,
  type Leg,
} from '../ledger/index.ts';
export { findVariantRef, tradableBaseVariants, variantAssetCode } from '../cards/index.ts';
export {
  cancelOrder,
  loadMarketSettings,
  ordersWithFills,
  placeOrder,
  recordedCandles,
  type MarketSettings,
  type OrderFill,
} from '../market/index.ts';
export { findUserRef, guard, principalOf } from '../identity/index.ts';
export { notify } from '../notifications/index.ts';
