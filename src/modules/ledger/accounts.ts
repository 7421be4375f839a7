/** The coin asset: integer minor units, 1 coin = 100. */
export const COIN = 'COIN';
export const COIN_SCALE = 100n;

/**
 * System accounts have fixed ids so every process and every migration agrees on them. `mint`
 * issues cards and `gateway` mirrors money held by the payment provider: both may go negative
 * (their negative balance is what the platform has issued or owes); `fees` may not.
 */
export const SYSTEM_ACCOUNTS = {
  mint: '00000000-0000-4000-8000-000000000001',
  gateway: '00000000-0000-4000-8000-000000000002',
  fees: '00000000-0000-4000-8000-000000000003',
} as const;

export type SystemAccount = keyof typeof SYSTEM_ACCOUNTS;

/** A user's wallet account has the user's id: no lookup is needed to find it. */
export const walletAccountId = (userId: string) => userId;

export const ASSET_CODE = /^[A-Z0-9][A-Z0-9_.:-]{0,63}$/;
export const TRANSFER_KIND = /^[a-z][a-z0-9_.-]{0,63}$/;
