// Everything trades needs from other modules, in one place.
export {
  COIN,
  SYSTEM_ACCOUNTS,
  balances,
  ensureWallets,
  openEscrow,
  transfer,
  walletAccountId,
  type Leg,
} from '../ledger/index.ts';
export { findVariantRef, variantAssetCode } from '../cards/index.ts';
export { currentRole, findUserRef, guard, hasBlocked, hasPermission, principalOf } from '../identity/index.ts';
export { notify } from '../notifications/index.ts';
export { holdsFor, offerReference, screenOffer } from '../fraud/index.ts';
