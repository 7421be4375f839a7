import pg from 'pg';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { recordEvent } from '../events/index.ts';
import type { ModuleDefinition } from '../module.ts';
import { AppError } from './errors.ts';
import {
  IdempotencyHeaders,
  canonicalJson,
  idempotencyLockKey,
  idempotencyScope,
  purgeIdempotencyKeys,
  runIdempotent,
} from './idempotency.ts';

const ROUTE = '/api/test/pay';

/** A value-moving route in miniature: its work is one outbox row, refused when `fail` is set. */
const testModule: ModuleDefinition = {
  name: 'idempotency-test',
  routes: async (app, { ctx }) => {
    app.post(
      ROUTE,
      {
        config: { idempotent: true },
        schema: {
          headers: IdempotencyHeaders,
          body: Type.Object(
            { amount: Type.Integer(), note: Type.Optional(Type.String()), fail: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ id: Type.String(), amount: Type.Integer(), at: Type.String() }) },
        },
      },
      async (request, reply) =>
        runIdempotent(ctx.db, request, reply, async (tx) => {
          const id = await recordEvent(tx, {
            type: 'test.paid',
            aggregateType: 'test',
            aggregateId: 'pay',
            payload: { amount: request.body.amount },
          });
          if (request.body.fail) throw new AppError('refused', 409, 'Refused');
          return { status: 201, body: { id, amount: request.body.amount, at: new Date().toISOString() } };
        }),
    );
  },
};

let t: TestApp;
const users = [uuidv7(), uuidv7()];
const tokens: string[] = [];

async function pay(user: number, body: object, key?: string) {
  return t.app.inject({
    method: 'POST',
    url: ROUTE,
    headers: { authorization: `Bearer ${tokens[user]}`, ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });
}

async function workDone(): Promise<number> {
  const r = await t.runtime.ctx.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM platform_outbox_events WHERE type = 'test.paid'`,
  );
  return r.rows[0]?.n ?? 0;
}

beforeAll(async () => {
  t = await createTestApp({ modules: [testModule], env: { RUN_WORKERS: 'false' } });
  for (const userId of users)
    tokens.push(await t.runtime.ctx.tokens.sign({ userId, role: 'user', sessionId: uuidv7() }));
});

afterAll(async () => {
  await t?.close();
});

describe('runIdempotent', () => {
  it('does the work every time when no key is sent', async () => {
    const before = await workDone();
    await pay(0, { amount: 1 });
    await pay(0, { amount: 1 });
    expect(await workDone()).toBe(before + 2);
  });

  it('replays the first response byte for byte for the same key and request', async () => {
    const before = await workDone();
    const first = await pay(0, { amount: 5, note: 'a' }, 'k-replay');
    const second = await pay(0, { note: 'a', amount: 5 }, 'k-replay');
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(await workDone()).toBe(before + 1);
  });

  it('refuses the same key with a different request (422) and scopes keys per user', async () => {
    await pay(0, { amount: 7 }, 'k-scope');
    const reused = await pay(0, { amount: 8 }, 'k-scope');
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('idempotency_key_reused');
    const otherUser = await pay(1, { amount: 8 }, 'k-scope');
    expect(otherUser.statusCode).toBe(201);
  });

  it('keeps nothing of a failed request: the key stays free', async () => {
    const before = await workDone();
    expect((await pay(0, { amount: 9, fail: true }, 'k-fail')).statusCode).toBe(409);
    expect(await workDone()).toBe(before);
    expect((await pay(0, { amount: 9 }, 'k-fail')).statusCode).toBe(201);
    expect(await workDone()).toBe(before + 1);
  });

  it.skipIf(!onPostgres)('answers 409 while a request with the same key is still running', async () => {
    // Another session holds the key's in-progress lock, as a first request still working would.
    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      const key = idempotencyLockKey(idempotencyScope(users[0] as string, 'POST', ROUTE), 'k-busy');
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [key.toString()]);
      const busy = await pay(0, { amount: 3 }, 'k-busy');
      expect(busy.statusCode).toBe(409);
      expect(busy.json().code).toBe('idempotency_in_progress');
      await client.query('ROLLBACK');
      expect((await pay(0, { amount: 3 }, 'k-busy')).statusCode).toBe(201);
    } finally {
      await client.end();
    }
  });

  it('purges stored responses older than the retention only', async () => {
    await pay(0, { amount: 11 }, 'k-purge');
    expect(await purgeIdempotencyKeys(t.runtime.ctx.db, 24)).toBe(0);
    expect((await pay(0, { amount: 11 }, 'k-purge')).headers['idempotent-replayed']).toBe('true');
  });
});

describe('canonicalJson', () => {
  it('ignores key order but not values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});
