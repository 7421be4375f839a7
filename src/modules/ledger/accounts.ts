/** The coin asset: integer minor units, 1 coin = 100. */
export const COIN = 'COIN';
export const COIN_SCALE = 100n;

/**
 * System accounts have fixed ids so every process and every migration agrees on them. `mint`
 * issues cards and `gateway` mirrors money held by the payment provider: both may go negative
 * (their negative balance is what the platform has issued or owes), and so may `house`; `fees` may not.
 */
export const SYSTEM_ACCOUNTS = {
  mint: '00000000-0000-4000-8000-000000000001',
  gateway: '00000000-0000-4000-8000-000000000002',
  fees: '00000000-0000-4000-8000-000000000003',
  /** The betting book: pays fixed-odds winnings beyond the stake, keeps lost stakes; may go negative. */
  house: '00000000-0000-4000-8000-000000000004',
  /** Pays achievement rewards (coins, points); may go negative (its balance is what was given away). */
  rewards: '00000000-0000-4000-8000-000000000005',
  /**
   * What users owe after a refund or dispute took back coins they had already spent: it goes
   * negative by the unpaid part (a debt to the platform), and is repaid or cleared towards zero.
   */
  receivable: '00000000-0000-4000-8000-000000000006',
} as const;

export type SystemAccount = keyof typeof SYSTEM_ACCOUNTS;

/**
 * Each system account is split into this many shard accounts, so no single balance row is touched
 * by every fill, purchase or deposit (a hot row serialises every transaction that writes it).
 * Shard 0 is the account in `SYSTEM_ACCOUNTS`; reports sum the shards (`systemBalance`).
 */
export const SYSTEM_SHARDS = 16;

const SYSTEM_CODE_DIGIT: Record<SystemAccount, string> = {
  mint: '1',
  gateway: '2',
  fees: '3',
  house: '4',
  rewards: '5',
  receivable: '6',
};

/** The account id of one shard: `00000000-0000-4000-80SS-00000000000C` (SS the shard, C the account). */
export function systemShardId(account: SystemAccount, shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard >= SYSTEM_SHARDS) throw new RangeError(`no shard ${shard}`);
  return `00000000-0000-4000-80${shard.toString(16).padStart(2, '0')}-00000000000${SYSTEM_CODE_DIGIT[account]}`;
}

/** Every shard's account id of a system account, shard 0 first. */
export const systemShardIds = (account: SystemAccount): string[] =>
  Array.from({ length: SYSTEM_SHARDS }, (_, i) => systemShardId(account, i));

/**
 * The shard of `account` that movements keyed by `key` use (a book's variant id for its fills, a
 * user id for that user's purchases): the same key always lands on the same shard (FNV-1a).
 */
export function systemShard(account: SystemAccount, key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return systemShardId(account, (h >>> 0) % SYSTEM_SHARDS);
}

/** Reward points: earned from the rewards account, never sent from one user to another. */
export const POINTS = 'POINTS';

/**
 * Assets that move only between a system account and another account: a leg of one of these
 * between two non-system accounts (user to user, user to escrow) is refused.
 */
export const NON_TRANSFERABLE_ASSETS: ReadonlySet<string> = new Set([POINTS]);

const SYSTEM_ID = /^00000000-0000-4000-80[0-9a-f]{2}-00000000000[0-9a-f]$/i;

/** Whether `accountId` is one of the system accounts' shards (their ids are fixed, see `systemShardId`). */
export const isSystemAccountId = (accountId: string) => SYSTEM_ID.test(accountId);

/** A user's wallet account has the user's id: no lookup is needed to find it. */
export const walletAccountId = (userId: string) => userId;

export const ASSET_CODE = /^[A-Z0-9][A-Z0-9_.:-]{0,63}$/;
export const TRANSFER_KIND = /^[a-z][a-z0-9_.-]{0,63}$/;
