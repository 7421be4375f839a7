// Everything the cards module uses from identity and the ledger, in one place.
export {
  DEMO_ACCOUNTS,
  findCollectionOwner,
  findUserRef,
  guard,
  hasPermission,
  currentRole,
  principalOf,
  type Access,
} from '../identity/index.ts';
export {
  COIN,
  InsufficientFundsError,
  SYSTEM_ACCOUNTS,
  assetHolders,
  balances,
  ensureWallet,
  reconcile,
  registerAsset,
  systemBalance,
  systemShard,
  transfer,
  walletAccountId,
  type Leg,
} from '../ledger/index.ts';
