// Everything the fraud screens need from other modules, in one place.

export { COIN, openEscrow, transfer, walletAccountId, type Leg } from '../ledger/index.ts';
export { catalogPrices, variantAssetCode } from '../cards/index.ts';
export { accountsCreatedAt, guard, principalOf } from '../identity/index.ts';
export { notify } from '../notifications/index.ts';
