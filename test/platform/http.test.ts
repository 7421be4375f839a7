import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import type { LightMyRequestResponse } from 'fastify';
import { AppError } from '../../src/platform/http/errors.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { ModuleDefinition } from '../../src/platform/module.ts';
import { REDIS_URL } from '../helpers/db.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

class OfferExpiredError extends AppError {
  constructor(offerId: string) {
    super('offer_expired', 422, 'The offer has expired', { offerId });
  }
}

const Signup = Type.Object(
  {
    email: Type.String({ format: 'email' }),
    name: Type.String({ minLength: 1 }),
    age: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const Credentials = Type.Object(
  { email: Type.String(), password: Type.String(), refreshToken: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const INTERNAL_DETAIL = 'relation "secret_internal_table" does not exist';

const testModule: ModuleDefinition = {
  name: 'http-test',
  routes: async (app) => {
    app.post(
      '/api/test/signup',
      {
        schema: {
          body: Signup,
          querystring: Type.Object(
            { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ body: Signup, limit: Type.Union([Type.Integer(), Type.Null()]) }) },
        },
      },
      async (request) => ({ body: request.body, limit: request.query.limit ?? null }),
    );
    app.get(
      '/api/test/page',
      {
        schema: {
          querystring: Type.Object(
            { limit: Type.Integer({ minimum: 1, maximum: 100 }), desc: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ limit: Type.Integer(), limitType: Type.String(), desc: Type.Boolean() }) },
        },
      },
      async (request) => ({
        limit: request.query.limit,
        limitType: typeof request.query.limit,
        desc: request.query.desc ?? false,
      }),
    );
    app.post(
      '/api/test/login',
      { schema: { body: Credentials, response: { 204: Type.Null() } } },
      async (request, reply) => {
        // What a careless debug line would log: redaction must still keep the secrets out.
        request.log.info({ headers: request.headers, body: request.body }, 'login attempt');
        return reply.status(204).send(null);
      },
    );
    app.get('/api/test/boom', { schema: { response: { 200: Type.Object({}) } } }, async () => {
      throw new Error(INTERNAL_DETAIL);
    });
    app.get('/api/test/expired', { schema: { response: { 200: Type.Object({}) } } }, async () => {
      throw new OfferExpiredError('offer-42');
    });
    app.get(
      '/api/test/limited',
      {
        config: { rateLimit: { max: 2, timeWindow: 60_000 } },
        schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } },
      },
      async () => ({ ok: true }),
    );
  },
};

const ORIGIN = 'https://cards.example';
const BODY_LIMIT = 2048;
const logLines: string[] = [];
let t: TestApp;

/** A fresh client address, so rate-limit counters never carry over between tests or runs. */
const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<Record<string, unknown>>();
  expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
  expect(body.type).toEqual(expect.stringContaining(code));
  expect(body.instance).toBe(new URL(`http://x${res.raw.req.url}`).pathname);
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

beforeAll(async () => {
  const logger = createLogger({ LOG_LEVEL: 'info' }, { write: (line: string) => void logLines.push(line) });
  t = await createTestApp({
    modules: [testModule],
    logger,
    env: { CORS_ORIGINS: ORIGIN, BODY_LIMIT_BYTES: String(BODY_LIMIT), RATE_LIMIT_MAX: '5' },
  });
});

afterAll(async () => {
  await t.close();
});

describe('request validation', () => {
  it('accepts a valid body and coerces query numbers from text', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup?limit=5',
      remoteAddress: freshIp(),
      payload: { email: 'ada@example.com', name: 'Ada' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: { email: 'ada@example.com', name: 'Ada' }, limit: 5 });

    const page = await t.app.inject({ url: '/api/test/page?limit=5&desc=true', remoteAddress: freshIp() });
    expect(page.json()).toEqual({ limit: 5, limitType: 'number', desc: true });
  });

  it('names every bad field at once, in body and query', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup?limit=500',
      remoteAddress: freshIp(),
      payload: { email: 'not-an-email', age: -1 },
    });
    const body = expectProblem(res, 400, 'validation_failed');
    const fields = (body.errors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields.sort()).toEqual(['body.age', 'body.email', 'body.name', 'query.limit']);
    expect(body.detail).toBe('Invalid request: body.name, body.email, body.age, query.limit');
  });

  it('rejects an unknown body field by name instead of dropping it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      payload: { email: 'ada@example.com', name: 'Ada', role: 'admin' },
    });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(body.errors).toEqual([{ field: 'body.role', message: 'is not allowed' }]);
  });

  it('does not coerce body types: a number where a string belongs is a 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      payload: { email: 'ada@example.com', name: 42 },
    });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'body.name' })]);

    const text = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      payload: { email: 'ada@example.com', name: 'Ada', age: '7' },
    });
    expectProblem(text, 400, 'validation_failed');
  });

  it('rejects a query number that is not a number', async () => {
    const res = await t.app.inject({ url: '/api/test/page?limit=five', remoteAddress: freshIp() });
    const body = expectProblem(res, 400, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ field: 'query.limit' })]);
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "ada@example.com",',
    });
    expectProblem(res, 400, 'malformed_json');
  });

  it('answers a body in the wrong media type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      headers: { 'content-type': 'text/plain' },
      payload: 'email=ada@example.com',
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('answers a body over BODY_LIMIT_BYTES with 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      payload: { email: 'ada@example.com', name: 'x'.repeat(BODY_LIMIT * 2) },
    });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('answers an unknown route with 404 route_not_found', async () => {
    const res = await t.app.inject({ url: '/api/nothing-here?x=1', remoteAddress: freshIp() });
    expectProblem(res, 404, 'route_not_found');
  });
});

describe('errors', () => {
  it('hides the internals of an unexpected error from the caller but logs them', async () => {
    const res = await t.app.inject({ url: '/api/test/boom', remoteAddress: freshIp() });
    const body = expectProblem(res, 500, 'internal_error');
    expect(res.body).not.toContain('secret_internal_table');
    expect(res.body).not.toMatch(/\bat .*\.ts:\d+/);
    expect(body).not.toHaveProperty('stack');

    const logged = logLines.filter((l) => l.includes(String(body.requestId)) && l.includes('secret_internal_table'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({ level: 50, err: { message: INTERNAL_DETAIL } });
  });

  it('turns an AppError subclass into its own status, code and extra fields', async () => {
    const res = await t.app.inject({ url: '/api/test/expired', remoteAddress: freshIp() });
    const body = expectProblem(res, 422, 'offer_expired');
    expect(body).toMatchObject({ detail: 'The offer has expired', offerId: 'offer-42', instance: '/api/test/expired' });
  });
});

describe('request ids', () => {
  it('generates a uuid when the caller sends none', async () => {
    const a = await t.app.inject({ url: '/health/live' });
    const b = await t.app.inject({ url: '/api/nothing-here' });
    for (const res of [a, b]) {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('echoes a valid incoming id and replaces an invalid one', async () => {
    const echoed = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(echoed.headers['x-request-id']).toBe('lb-1234.abc');
    const bad = 'evil\u0007id with spaces';
    const replaced = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': bad } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'a'.repeat(200) } });
    expect(tooLong.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('log redaction', () => {
  it('keeps authorization headers, cookies, passwords, tokens and secret query params out of the logs', async () => {
    const bearer = await t.runtime.ctx.tokens.sign({ userId: 'u-1', role: 'user', sessionId: 's-1' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/test/login?token=query-token-value-123&page=2',
      remoteAddress: freshIp(),
      headers: { authorization: `Bearer ${bearer}`, cookie: 'refresh=cookie-secret-value-456' },
      payload: { email: 'ada@example.com', password: 'hunter2-password-789', refreshToken: 'refresh-token-abc' },
    });
    expect(res.statusCode).toBe(204);
    const lines = logLines.filter((l) => l.includes(String(res.headers['x-request-id'])));
    const attempt = lines.find((l) => l.includes('login attempt'));
    expect(attempt).toBeDefined();
    expect(JSON.parse(attempt ?? '{}')).toMatchObject({ body: { email: 'ada@example.com', password: '[REDACTED]' } });
    expect(lines.find((l) => l.includes('incoming request'))).toContain('token=[REDACTED]&page=2');
    const all = lines.join('\n');
    for (const secret of [
      bearer,
      'cookie-secret-value-456',
      'hunter2-password-789',
      'refresh-token-abc',
      'query-token-value-123',
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('security headers and CORS', () => {
  it('sends helmet headers', async () => {
    const res = await t.app.inject({ url: '/health/live' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('allows only the configured origins', async () => {
    const allowed = await t.app.inject({ url: '/health/live', headers: { origin: ORIGIN } });
    expect(allowed.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(allowed.headers['access-control-expose-headers']).toContain('x-request-id');

    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/test/signup',
      remoteAddress: freshIp(),
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);

    const other = await t.app.inject({ url: '/health/live', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('rate limiting', () => {
  it('limits every route to RATE_LIMIT_MAX per client by default', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await t.app.inject({ url: '/api/test/page?limit=1', remoteAddress: ip })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // Another client keeps its own allowance.
    expect((await t.app.inject({ url: '/api/test/page?limit=1', remoteAddress: freshIp() })).statusCode).toBe(200);
  });

  it('applies a per-route override and answers 429 problem+json with Retry-After', async () => {
    const ip = freshIp();
    for (let i = 0; i < 2; i++) {
      expect((await t.app.inject({ url: '/api/test/limited', remoteAddress: ip })).statusCode).toBe(200);
    }
    const res = await t.app.inject({ url: '/api/test/limited', remoteAddress: ip });
    expectProblem(res, 429, 'rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('never limits the health and metrics routes', async () => {
    const ip = freshIp();
    for (const url of ['/health/live', '/health/ready', '/metrics']) {
      const statuses = new Set<number>();
      for (let i = 0; i < 8; i++) statuses.add((await t.app.inject({ url, remoteAddress: ip })).statusCode);
      expect([...statuses]).toEqual([200]);
    }
  });

  it.skipIf(!REDIS_URL)('shares the count between instances through Redis', async () => {
    const other = await createTestApp({ modules: [testModule], database: t.database });
    try {
      const ip = freshIp();
      expect((await t.app.inject({ url: '/api/test/limited', remoteAddress: ip })).statusCode).toBe(200);
      expect((await other.app.inject({ url: '/api/test/limited', remoteAddress: ip })).statusCode).toBe(200);
      expectProblem(await other.app.inject({ url: '/api/test/limited', remoteAddress: ip }), 429, 'rate_limited');
      expectProblem(await t.app.inject({ url: '/api/test/limited', remoteAddress: ip }), 429, 'rate_limited');
    } finally {
      await other.close();
    }
  });
});
