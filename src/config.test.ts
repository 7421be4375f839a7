import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.ts';

const SECRET = 'a-signing-secret-of-at-least-32-characters';
const DATA_KEYS = `test:${Buffer.alloc(32, 'config-test-key').toString('base64')}`;

/** The ConfigError thrown for `env`, so each test can say what its message must name. */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives a working embedded setup when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 3000,
      LOG_LEVEL: 'info',
      DATA_DIR: './data',
      BODY_LIMIT_BYTES: 1_048_576,
      RATE_LIMIT_MAX: 300,
      RATE_LIMIT_WINDOW_MS: 60_000,
      RUN_WORKERS: true,
      SEED_DEMO: true,
      embedded: true,
    });
    expect(config.CORS_ORIGINS).toEqual([]);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('reads typed values from text and ignores variables it does not know', () => {
    const config = loadConfig({
      PORT: '8080',
      TRUST_PROXY: 'true',
      DATABASE_URL: 'postgres://app:pw@db.internal:5432/cards',
      REDIS_URL: 'redis://cache.internal:6379',
      CORS_ORIGINS: 'https://a.example, https://b.example ,',
      JWT_SECRET: SECRET,
      HOME: '/root',
    });
    expect(config.PORT).toBe(8080);
    expect(config.TRUST_PROXY).toBe(true);
    expect(config.embedded).toBe(false);
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(config).not.toHaveProperty('HOME');
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db.internal/cards' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache.internal:6379' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['JWT_SECRET', { JWT_SECRET: 'short' }],
    ['JWT_PREVIOUS_SECRETS', { JWT_PREVIOUS_SECRETS: `${SECRET},short` }],
  ])('rejects a bad %s with a ConfigError naming it', (name, env) => {
    expect(configErrorOf(env).message).toContain(name);
  });

  it('lists the allowed words for an enumerated variable', () => {
    expect(configErrorOf({ LOG_LEVEL: 'loud' }).message).toMatch(/LOG_LEVEL must be one of fatal, error, .*silent/);
  });

  it('names every bad variable at once', () => {
    const message = configErrorOf({ PORT: 'abc', LOG_LEVEL: 'loud' }).message;
    expect(message).toContain('PORT');
    expect(message).toContain('LOG_LEVEL');
  });

  it('does not echo a rejected secret', () => {
    expect(configErrorOf({ JWT_SECRET: 'tiny-secret-value' }).message).not.toContain('tiny-secret-value');
  });

  it('requires JWT_SECRET in production and seeds no demo data there by default', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      PAYMENT_WEBHOOK_SECRET: SECRET,
      PAYMENT_SANDBOX_IN_PRODUCTION: 'true',
      METRICS_TOKEN: SECRET,
      DATA_ENCRYPTION_KEYS: DATA_KEYS,
    };
    const { JWT_SECRET: _omitted, ...withoutSecret } = production;
    expect(configErrorOf(withoutSecret).message).toContain('JWT_SECRET is required when NODE_ENV=production');
    const { METRICS_TOKEN: _open, ...openMetrics } = production;
    expect(configErrorOf(openMetrics).message).toContain('METRICS_TOKEN is required when NODE_ENV=production');
    const { DATA_ENCRYPTION_KEYS: _keys, ...withoutKeys } = production;
    expect(configErrorOf(withoutKeys).message).toContain('DATA_ENCRYPTION_KEYS is required when NODE_ENV=production');
    const config = loadConfig(production);
    expect(config.SEED_DEMO).toBe(false);
  });

  it('refuses malformed data encryption keys, naming the variable but not the key', () => {
    const short = Buffer.alloc(16, 'short-key').toString('base64');
    const message = configErrorOf({ DATA_ENCRYPTION_KEYS: `k1:${short}` }).message;
    expect(message).toContain('DATA_ENCRYPTION_KEYS');
    expect(message).toContain('32 bytes');
    expect(message).not.toContain(short);
    expect(configErrorOf({ DATA_ENCRYPTION_KEYS: `${DATA_KEYS},${DATA_KEYS}` }).message).toContain('listed twice');
    expect(loadConfig({ DATA_ENCRYPTION_KEYS: DATA_KEYS }).DATA_ENCRYPTION_KEYS).toBe(DATA_KEYS);
  });

  it('refuses the sandbox payment provider in production unless explicitly allowed', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      PAYMENT_WEBHOOK_SECRET: SECRET,
      METRICS_TOKEN: SECRET,
      DATA_ENCRYPTION_KEYS: DATA_KEYS,
    };
    expect(configErrorOf(production).message).toContain('PAYMENT_SANDBOX_IN_PRODUCTION=true');
    expect(configErrorOf({ ...production, PAYMENT_SANDBOX_IN_PRODUCTION: 'false' }).message).toContain(
      'PAYMENT_PROVIDER=sandbox',
    );
    expect(loadConfig({ ...production, PAYMENT_SANDBOX_IN_PRODUCTION: 'true' }).PAYMENT_PROVIDER).toBe('sandbox');
    // Outside production the sandbox is the default and needs no opt-in.
    expect(loadConfig({}).PAYMENT_PROVIDER).toBe('sandbox');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://a.example' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.CORS_ORIGINS)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });
});

describe('.env.example', () => {
  it('documents every variable the service reads', () => {
    const documented = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const missing = CONFIG_VARIABLES.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(documented));
    expect(missing).toEqual([]);
  });
});
