import { envSchema } from 'env-schema';
import addFormats from 'ajv-formats';
import { Type, type Static } from 'typebox';

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
  PUBLIC_URL: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://' })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
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
  WS_HEARTBEAT_MS: Type.Integer({ default: 30_000, minimum: 100 }),
  WS_MAX_BUFFERED_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
});

type RawConfig = Static<typeof ConfigSchema>;

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
    throw new ConfigError(`invalid configuration: ${(err as Error).message.replaceAll('env/', '')}`);
  }
  if (raw.NODE_ENV === 'production' && !raw.JWT_SECRET) {
    throw new ConfigError('invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  const previous = list(raw.JWT_PREVIOUS_SECRETS);
  if (previous.some((s) => s.length < 32)) {
    throw new ConfigError('invalid configuration: JWT_PREVIOUS_SECRETS entries must be at least 32 characters');
  }
  return Object.freeze({
    ...raw,
    CORS_ORIGINS: Object.freeze(list(raw.CORS_ORIGINS)),
    JWT_PREVIOUS_SECRETS: Object.freeze(previous),
    SEED_DEMO: raw.SEED_DEMO ?? raw.NODE_ENV !== 'production',
    embedded: !raw.DATABASE_URL,
  });
}
