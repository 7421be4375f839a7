import { envSchema } from 'env-schema';
import addFormats from 'ajv-formats';
import { Type, type Static } from 'typebox';
import { parseKeyring } from './platform/crypto/envelope.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable the service reads. Documented one by one in `.env.example`.
 * Anything not listed here is ignored.
 */
const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  /** A worker process serves `/metrics` on HOST:METRICS_PORT when set (API processes serve it on PORT). */
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** When set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (required in production). */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  PUBLIC_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),
  /** A front end's address: mailed links open its `/verify-email` and `/reset-password` pages instead of this server's. */
  PUBLIC_WEB_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),
  LOG_LEVEL: Type.Enum(LOG_LEVELS, { default: 'info' }),
  DATABASE_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^postgres(ql)?://[^\\s]+$' })),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  DB_POOL_SIZE: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  REDIS_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^rediss?://[^\\s]+$' })),
  CORS_ORIGINS: Type.String({ default: '' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  RATE_LIMIT_MAX: Type.Integer({ default: 300, minimum: 1 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_PREVIOUS_SECRETS: Type.String({ default: '' }),
  JWT_ISSUER: Type.String({ default: 'ece-trading-cards', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'ece-trading-cards-api', minLength: 1 }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 3600 }),
  RUN_WORKERS: Type.Boolean({ default: true }),
  SEED_DEMO: Type.Optional(Type.Boolean()),
  OUTBOX_POLL_MS: Type.Integer({ default: 500, minimum: 10 }),
  OUTBOX_MAX_ATTEMPTS: Type.Integer({ default: 8, minimum: 1 }),
  // Days a delivered event is kept (for investigating a delivery) before it is deleted.
  OUTBOX_RETENTION_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  WS_HEARTBEAT_MS: Type.Integer({ default: 30_000, minimum: 100 }),
  WS_MAX_BUFFERED_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  // Realtime: open WebSocket connections per client address (handshakes are exempt from the request
  // rate limit), a larger allowance for loopback outside production (load tests, a local proxy), at
  // most how many deltas per second a state channel (book, ticker) sends, and how many clients one
  // turn of the event loop writes to during a fan-out.
  WS_MAX_CONNECTIONS_PER_ADDRESS: Type.Integer({ default: 500, minimum: 1 }),
  WS_LOOPBACK_MAX_CONNECTIONS: Type.Integer({ default: 25_000, minimum: 1 }),
  WS_STATE_MAX_RATE_HZ: Type.Number({ default: 20, exclusiveMinimum: 0, maximum: 1000 }),
  WS_FANOUT_CHUNK_SIZE: Type.Integer({ default: 256, minimum: 1 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  // Identity: refresh-token lifetimes, how long a verified session/ban state is cached per token.
  REFRESH_IDLE_TTL_SECONDS: Type.Integer({ default: 604_800, minimum: 300 }),
  REFRESH_ABSOLUTE_TTL_SECONDS: Type.Integer({ default: 2_592_000, minimum: 3600 }),
  PRINCIPAL_CACHE_TTL_MS: Type.Integer({ default: 30_000, minimum: 100, maximum: 300_000 }),
  // Password hashing (argon2id): these are floors (OWASP), raise them, never lower them.
  ARGON2_MEMORY_KIB: Type.Integer({ default: 19_456, minimum: 19_456 }),
  ARGON2_TIME_COST: Type.Integer({ default: 2, minimum: 2, maximum: 20 }),
  ARGON2_PARALLELISM: Type.Integer({ default: 1, minimum: 1, maximum: 16 }),
  // Brute-force throttling of logins and one-time tokens.
  AUTH_FREE_FAILURES: Type.Integer({ default: 5, minimum: 1, maximum: 50 }),
  AUTH_LOCK_AFTER_FAILURES: Type.Integer({ default: 10, minimum: 2, maximum: 100 }),
  AUTH_LOCK_SECONDS: Type.Integer({ default: 900, minimum: 1, maximum: 86_400 }),
  AUTH_ACCOUNT_FAILURES_PER_HOUR: Type.Integer({ default: 100, minimum: 1, maximum: 100 }),
  AUTH_IP_FAILURES_PER_HOUR: Type.Integer({ default: 200, minimum: 1 }),
  AUTH_MAIL_PER_ADDRESS_PER_HOUR: Type.Integer({ default: 5, minimum: 1 }),
  AUTH_MAIL_REQUESTS_PER_IP_PER_HOUR: Type.Integer({ default: 30, minimum: 1 }),
  // Mail: SMTP when set, otherwise stored in the database and logged.
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s]+$' })),
  MAIL_FROM: Type.String({ default: 'ECE Trading Cards <no-reply@ece-trading-cards.localhost>', minLength: 3 }),
  // Ledger and wallet: amounts are coin minor units (1 coin = 100).
  LEDGER_MAX_AMOUNT: Type.Integer({ default: 100_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  LEDGER_DAILY_TRANSFER_LIMIT: Type.Integer({ default: 100_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  LEDGER_DAILY_DEPOSIT_LIMIT: Type.Integer({ default: 100_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  LEDGER_DAILY_WITHDRAW_LIMIT: Type.Integer({ default: 50_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  LEDGER_RECONCILE_INTERVAL_SECONDS: Type.Integer({ default: 300, minimum: 10 }),
  LEDGER_PENDING_SWEEP_SECONDS: Type.Integer({ default: 30, minimum: 1 }),
  IDEMPOTENCY_TTL_HOURS: Type.Integer({ default: 24, minimum: 24 }),
  // Trades between users: open offers per proposer, how long an offer stays open, the expiry sweep.
  TRADES_MAX_OPEN_OFFERS: Type.Integer({ default: 20, minimum: 1 }),
  TRADES_OFFER_TTL_HOURS: Type.Integer({ default: 336, minimum: 1 }),
  TRADES_EXPIRY_SWEEP_SECONDS: Type.Integer({ default: 60, minimum: 1 }),
  // Exchange: how often orders past their expiry are cancelled and their escrow returned.
  MARKET_EXPIRY_SWEEP_SECONDS: Type.Integer({ default: 30, minimum: 1 }),
  // Betting: default risk limits of new markets (minor units), how many trades in the last 30 days
  // a card needs to host a price event, the delay before a raised responsible-play limit applies,
  // how often the settlement sweep runs and how many bets one settlement transaction handles.
  BETTING_MIN_STAKE: Type.Integer({ default: 100, minimum: 1 }),
  BETTING_MAX_STAKE: Type.Integer({ default: 1_000_000, minimum: 1 }),
  BETTING_MAX_PAYOUT: Type.Integer({ default: 10_000_000, minimum: 1 }),
  BETTING_USER_LIABILITY_CAP: Type.Integer({ default: 5_000_000, minimum: 1 }),
  BETTING_OUTCOME_LIABILITY_CAP: Type.Integer({ default: 50_000_000, minimum: 1 }),
  BETTING_SUSPEND_EXPOSURE: Type.Integer({ default: 40_000_000, minimum: 1 }),
  BETTING_PRICE_MIN_TRADES: Type.Integer({ default: 5, minimum: 0 }),
  BETTING_LIMIT_RAISE_DELAY_HOURS: Type.Integer({ default: 24, minimum: 0, maximum: 720 }),
  BETTING_SWEEP_SECONDS: Type.Integer({ default: 60, minimum: 5 }),
  BETTING_SETTLE_BATCH: Type.Integer({ default: 1000, minimum: 1, maximum: 10_000 }),
  // Trading bots: how many one user may have, how often the scheduler looks for due bots, how many
  // it runs at once per worker, a strategy call's CPU and memory budget, how many failures in a row
  // pause a bot, how long the execution log is kept.
  BOTS_MAX_PER_USER: Type.Integer({ default: 20, minimum: 1, maximum: 1000 }),
  BOTS_SCHEDULER_POLL_MS: Type.Integer({ default: 1000, minimum: 50 }),
  BOTS_CONCURRENCY: Type.Integer({ default: 8, minimum: 1, maximum: 256 }),
  BOTS_CPU_MS_PER_CALL: Type.Integer({ default: 50, minimum: 5, maximum: 10_000 }),
  BOTS_MEMORY_MB: Type.Integer({ default: 32, minimum: 16, maximum: 512 }),
  BOTS_MAX_FAILURES: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  BOTS_RUN_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 1 }),
  // Community: how long a live bot's trades stay off its public page (no front-running), how long a
  // comment may be edited, community writes per user per RATE_LIMIT_WINDOW_MS, how often the feed
  // looks for new versions, new shared bots and notable results.
  COMMUNITY_TRADE_DELAY_MINUTES: Type.Integer({ default: 60, minimum: 0, maximum: 10_080 }),
  COMMUNITY_COMMENT_EDIT_MINUTES: Type.Integer({ default: 15, minimum: 0, maximum: 10_080 }),
  COMMUNITY_WRITE_RATE_LIMIT_MAX: Type.Integer({ default: 60, minimum: 1 }),
  COMMUNITY_FEED_SCAN_SECONDS: Type.Integer({ default: 60, minimum: 5 }),
  // Social: direct messages and on-demand match computations per user per RATE_LIMIT_WINDOW_MS, and how
  // often users whose cards or wishlist changed get their trade-partner matches recomputed.
  SOCIAL_MESSAGE_RATE_LIMIT_MAX: Type.Integer({ default: 30, minimum: 1 }),
  SOCIAL_MATCH_RATE_LIMIT_MAX: Type.Integer({ default: 10, minimum: 1 }),
  SOCIAL_MATCH_REFRESH_SECONDS: Type.Integer({ default: 30, minimum: 1 }),
  // Leaderboards: what a bot, backtest or trader needs to be ranked (closed trades in the period, hours
  // of record, allocation in minor units), how often changed bots are recomputed and every board is
  // rebuilt, the public preview's reads per address per RATE_LIMIT_WINDOW_MS, and how long a board
  // read stays cached (every write of the boards drops the cache at once).
  LEADERBOARD_MIN_TRADES: Type.Integer({ default: 1, minimum: 0 }),
  LEADERBOARD_MIN_AGE_HOURS: Type.Integer({ default: 72, minimum: 0 }),
  LEADERBOARD_MIN_ALLOCATION: Type.Integer({ default: 100_000, minimum: 0 }),
  LEADERBOARD_REFRESH_SECONDS: Type.Integer({ default: 60, minimum: 5 }),
  LEADERBOARD_REBUILD_SECONDS: Type.Integer({ default: 900, minimum: 60 }),
  LEADERBOARD_PREVIEW_RATE_LIMIT_MAX: Type.Integer({ default: 120, minimum: 1 }),
  LEADERBOARD_CACHE_TTL_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000 }),
  // Crowdfunding: whether an admin approves a campaign before it goes live, the platform's fee on a
  // funded campaign (basis points of the pledged total), the longest campaign in days, and how often
  // campaigns past their deadline are settled.
  CROWDFUNDING_REQUIRE_APPROVAL: Type.Boolean({ default: false }),
  CROWDFUNDING_FEE_BPS: Type.Integer({ default: 500, minimum: 0, maximum: 5000 }),
  CROWDFUNDING_MAX_DAYS: Type.Integer({ default: 90, minimum: 1, maximum: 365 }),
  CROWDFUNDING_SETTLE_SECONDS: Type.Integer({ default: 60, minimum: 5 }),
  // Market data: public reads per client address per RATE_LIMIT_WINDOW_MS, and how long a cached read may live.
  MARKET_DATA_RATE_LIMIT_MAX: Type.Integer({ default: 600, minimum: 1 }),
  MARKET_DATA_CACHE_TTL_MS: Type.Integer({ default: 3000, minimum: 100, maximum: 60_000 }),
  // Payments: the provider money enters and leaves through, and the secret its webhooks are signed with.
  PAYMENT_PROVIDER: Type.Enum(['sandbox', 'stripe'] as const, { default: 'sandbox' }),
  // Stripe (PAYMENT_PROVIDER=stripe): API key and webhook signing secret (both required then), the currency
  // charged, and how many coin minor units one minor unit of it buys (1: a coin costs 1.00 of the currency).
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ pattern: '^(sk|rk)_(test|live)_[A-Za-z0-9]+$' })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/=]+$' })),
  STRIPE_CURRENCY: Type.String({ default: 'usd', pattern: '^[a-z]{3}$' }),
  STRIPE_COIN_UNITS_PER_CURRENCY_UNIT: Type.Integer({ default: 1, minimum: 1, maximum: 1_000_000 }),
  // Where the Stripe SDK sends API calls: only for a local mock of Stripe's API (tests, offline development).
  STRIPE_API_HOST: Type.Optional(Type.String({ minLength: 1 })),
  STRIPE_API_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  STRIPE_API_PROTOCOL: Type.Optional(Type.Enum(['http', 'https'] as const)),
  PAYMENT_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  PAYMENT_WEBHOOK_TOLERANCE_SECONDS: Type.Integer({ default: 300, minimum: 1, maximum: 3600 }),
  // The sandbox credits coins for checkouts nobody paid: production must ask for it by name.
  PAYMENT_SANDBOX_IN_PRODUCTION: Type.Boolean({ default: false }),
  // Payouts: withdrawals above this many coin minor units wait for an admin's approval (default
  // 100,000 coins, a fifth of the daily withdrawal limit); at most this many withdrawals per user
  // and UTC day; a new payout destination is usable only this many seconds after it was added.
  PAYOUT_REVIEW_ABOVE: Type.Integer({ default: 10_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  PAYOUT_MAX_PER_DAY: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  PAYOUT_DESTINATION_COOLDOWN_SECONDS: Type.Integer({ default: 86_400, minimum: 0, maximum: 30 * 86_400 }),
  // Personal data at rest: comma-separated `<key id>:<base64 of 32 random bytes>`; the first seals new
  // values, the rest still open older ones until `npm run keys:rotate` has re-sealed them.
  // Required in production; elsewhere a fixed development key is used.
  DATA_ENCRYPTION_KEYS: Type.Optional(Type.String({ minLength: 10 })),
});

type RawConfig = Static<typeof ConfigSchema>;

/** The names of every variable the service reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.properties);

export type Config = Readonly<
  Omit<RawConfig, 'CORS_ORIGINS' | 'JWT_PREVIOUS_SECRETS' | 'SEED_DEMO'> & {
    CORS_ORIGINS: readonly string[];
    JWT_PREVIOUS_SECRETS: readonly string[];
    /** Load demo data on first start: on by default, never in production unless asked. */
    SEED_DEMO: boolean;
    /** True when no DATABASE_URL is given and the embedded PGlite database is used. */
    embedded: boolean;
  }
>;

export class ConfigError extends Error {}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * One sentence per bad variable. A list of allowed words fails once per word in the schema; the
 * reader needs the list, not eight "must be equal to constant".
 */
function describeErrors(err: unknown): string {
  const errors = (err as { errors?: SchemaError[] }).errors;
  if (!Array.isArray(errors)) return (err as Error).message;
  const byName = new Map<string, { allowed: unknown[]; messages: Set<string> }>();
  for (const e of errors) {
    const name = e.instancePath.replace(/^\//, '') || String(e.params.missingProperty ?? 'environment');
    const entry = byName.get(name) ?? { allowed: [], messages: new Set<string>() };
    byName.set(name, entry);
    if (e.keyword === 'const') entry.allowed.push(e.params.allowedValue);
    else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues))
      entry.allowed.push(...e.params.allowedValues);
    else if (e.keyword !== 'anyOf') entry.messages.add(e.message ?? 'is invalid');
  }
  return [...byName]
    .map(([name, { allowed, messages }]) => {
      if (allowed.length > 0) messages.add(`must be one of ${allowed.join(', ')}`);
      return `${name} ${[...messages].join(' and ')}`;
    })
    .join('; ');
}

/**
 * Validates the environment and returns one frozen config. Throws a ConfigError naming every
 * bad variable; `main.ts` turns it into exit code 1.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let raw: RawConfig;
  try {
    raw = envSchema<RawConfig>({
      schema: ConfigSchema,
      data: { ...env },
      env: false,
      dotenv: false,
      ajv: {
        customOptions: (ajv) => {
          addFormats.default(ajv, ['uri']);
          return ajv;
        },
      },
    });
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${describeErrors(err)}`);
  }
  if (raw.NODE_ENV === 'production' && !raw.JWT_SECRET) {
    throw new ConfigError('invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  if (raw.NODE_ENV === 'production' && !raw.METRICS_TOKEN) {
    throw new ConfigError(
      'invalid configuration: METRICS_TOKEN is required when NODE_ENV=production (Prometheus sends it as a bearer token)',
    );
  }
  // The sandbox's webhook secret; Stripe signs with STRIPE_WEBHOOK_SECRET instead.
  if (raw.NODE_ENV === 'production' && raw.PAYMENT_PROVIDER === 'sandbox' && !raw.PAYMENT_WEBHOOK_SECRET) {
    throw new ConfigError('invalid configuration: PAYMENT_WEBHOOK_SECRET is required when NODE_ENV=production');
  }
  if (raw.NODE_ENV === 'production' && !raw.DATA_ENCRYPTION_KEYS) {
    throw new ConfigError('invalid configuration: DATA_ENCRYPTION_KEYS is required when NODE_ENV=production');
  }
  if (raw.DATA_ENCRYPTION_KEYS) {
    try {
      parseKeyring(raw.DATA_ENCRYPTION_KEYS);
    } catch (err) {
      throw new ConfigError(`invalid configuration: DATA_ENCRYPTION_KEYS: ${(err as Error).message}`);
    }
  }
  if (raw.PAYMENT_PROVIDER === 'stripe' && (!raw.STRIPE_SECRET_KEY || !raw.STRIPE_WEBHOOK_SECRET)) {
    throw new ConfigError(
      'invalid configuration: STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are required when PAYMENT_PROVIDER=stripe',
    );
  }
  if (raw.NODE_ENV === 'production' && raw.PAYMENT_PROVIDER === 'sandbox' && !raw.PAYMENT_SANDBOX_IN_PRODUCTION) {
    throw new ConfigError(
      'invalid configuration: PAYMENT_PROVIDER=sandbox moves no real money; refused when NODE_ENV=production ' +
        'unless PAYMENT_SANDBOX_IN_PRODUCTION=true',
    );
  }
  const previous = list(raw.JWT_PREVIOUS_SECRETS);
  if (previous.some((s) => s.length < 32)) {
    throw new ConfigError('invalid configuration: JWT_PREVIOUS_SECRETS entries must be at least 32 characters');
  }
  if (raw.AUTH_LOCK_AFTER_FAILURES <= raw.AUTH_FREE_FAILURES) {
    throw new ConfigError('invalid configuration: AUTH_LOCK_AFTER_FAILURES must be greater than AUTH_FREE_FAILURES');
  }
  if (raw.REFRESH_ABSOLUTE_TTL_SECONDS < raw.REFRESH_IDLE_TTL_SECONDS) {
    throw new ConfigError(
      'invalid configuration: REFRESH_ABSOLUTE_TTL_SECONDS must be at least REFRESH_IDLE_TTL_SECONDS',
    );
  }
  return Object.freeze({
    ...raw,
    CORS_ORIGINS: Object.freeze(list(raw.CORS_ORIGINS)),
    JWT_PREVIOUS_SECRETS: Object.freeze(previous),
    SEED_DEMO: raw.SEED_DEMO ?? raw.NODE_ENV !== 'production',
    embedded: !raw.DATABASE_URL,
  });
}
