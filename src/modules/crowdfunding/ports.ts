// Everything the crowdfunding module needs from other modules, in one place.

export {
  COIN,
  balances,
  ensureWallet,
  openEscrow,
  systemShard,
  transfer,
  walletAccountId,
  type Leg,
} from '../ledger/index.ts';
export { cardHoldings, findVariantRef } from '../cards/index.ts';
export { currentRole, findUserRef, guard, hasPermission, principalOf } from '../identity/index.ts';
export { notify, requestNotification } from '../notifications/index.ts';
