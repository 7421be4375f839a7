import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Type } from 'typebox';
import { recordEvent } from '../../src/platform/events/index.ts';
import type { ModuleDefinition } from '../../src/platform/module.ts';
import { REDIS_URL, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const JOB = 'health-test.report';
// Its own client address: with Redis the global rate limit is shared by every app on that server.
const CLIENT = `10.78.${randomInt(256)}.${randomInt(1, 255)}`;

const itemsModule: ModuleDefinition = {
  name: 'health-test',
  setup: (ctx) => ctx.jobs.define(JOB, async () => {}),
  routes: async (app) => {
    app.get(
      '/api/health-test/items/:itemId',
      {
        schema: {
          params: Type.Object({ itemId: Type.String() }),
          response: { 200: Type.Object({ itemId: Type.String() }) },
        },
      },
      async (request) => ({ itemId: request.params.itemId }),
    );
  },
};

interface Readiness {
  status: 'ok' | 'fail';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

let database: TestDatabase;
// A worker-running instance on a pool of its own, so ending that pool breaks this instance only.
let ownPool: pg.Pool;
let worker: TestApp;
// An API-only instance: it enqueues jobs but never runs them, so they stay in the queue.
let api: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  ownPool = new pg.Pool({ connectionString: database.url, max: 2 });
  worker = await createTestApp({
    role: 'all',
    // Its outbox dispatcher must not deliver the event the metrics test counts as pending.
    env: { OUTBOX_POLL_MS: '600000' },
    database: { ...database, pool: ownPool, db: drizzle({ client: ownPool }), destroy: async () => {} },
  });
  api = await createTestApp({ role: 'api', database, modules: [itemsModule] });
});

afterAll(async () => {
  await worker?.close();
  await api?.close();
  if (ownPool && !ownPool.ended) await ownPool.end();
  await database?.destroy();
});

const ready = async (t: TestApp) => {
  const res = await t.app.inject({ url: '/health/ready' });
  return { status: res.statusCode, body: res.json<Readiness>() };
};

describe('liveness and readiness', () => {
  it('reports live', async () => {
    const res = await worker.app.inject({ url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when the database, migrations, job queue (and Redis when configured) are', async () => {
    const { status, body } = await ready(worker);
    expect(status).toBe(200);
    const expected = ['database', 'jobs', 'migrations', ...(REDIS_URL ? ['redis'] : [])];
    expect(Object.keys(body.checks).sort()).toEqual(expected.sort());
    expect(body).toEqual({ status: 'ok', checks: Object.fromEntries(expected.map((k) => [k, { ok: true }])) });
  });

  it('does not expect a job queue worker on an API-only process', async () => {
    const { status, body } = await ready(api);
    expect(status).toBe(200);
    expect(body.checks).not.toHaveProperty('jobs');
  });

  it('is not ready while a migration is pending', async () => {
    const removed = await database.pool.query<{ id: number; hash: string; created_at: string }>(`
      DELETE FROM drizzle.__drizzle_migrations
      WHERE id = (SELECT max(id) FROM drizzle.__drizzle_migrations)
      RETURNING id, hash, created_at`);
    const row = removed.rows[0];
    expect(row).toBeDefined();
    try {
      const { status, body } = await ready(worker);
      expect(status).toBe(503);
      expect(body.status).toBe('fail');
      expect(body.checks.migrations).toEqual({ ok: false, detail: '1 migration(s) not applied' });
      expect(body.checks.database).toEqual({ ok: true });
    } finally {
      await database.pool.query('INSERT INTO drizzle.__drizzle_migrations (id, hash, created_at) VALUES ($1, $2, $3)', [
        row?.id,
        row?.hash,
        row?.created_at,
      ]);
    }
    expect((await ready(worker)).status).toBe(200);
  });
});

describe('metrics', () => {
  let text: string;

  beforeAll(async () => {
    for (const id of ['card-1', 'card-2']) {
      expect((await api.app.inject({ url: `/api/health-test/items/${id}`, remoteAddress: CLIENT })).statusCode).toBe(
        200,
      );
    }
    await api.app.inject({ url: '/api/no-such-route/card-3', remoteAddress: CLIENT });
    await api.runtime.ctx.jobs.enqueue(null, JOB, { userId: 'u-1' });
    // A commit wakes delivery at once; with the dispatcher stopped the event stays pending.
    await worker.runtime.dispatcher.stop();
    await recordEvent(database.db, {
      type: 'health-test.happened',
      aggregateType: 'item',
      aggregateId: 'card-1',
      payload: {},
    });
    const res = await api.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    text = res.body;
  });

  const sample = (name: string, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('times requests by route pattern, never by raw URL', () => {
    const labels = '{method="GET",route="/api/health-test/items/:itemId",status_code="200"}';
    expect(sample('http_request_duration_seconds_count', labels)).toBe(2);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET"');
    expect(text).not.toContain('card-1');
    expect(text).not.toContain('card-3');
    expect(text).toContain('route="unmatched",status_code="404"');
  });

  it('counts the request being served', () => {
    expect(sample('http_requests_in_flight')).toBe(1);
  });

  it('exposes process, event loop and database pool figures', () => {
    expect(sample('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    for (const state of ['in_use', 'idle', 'waiting']) {
      expect(sample('db_pool_connections', `{state="${state}"}`)).toBeGreaterThanOrEqual(0);
    }
  });

  it('exposes job queue depth and lag per queue', () => {
    expect(sample('job_queue_depth', `{queue="${JOB}"}`)).toBe(1);
    expect(sample('job_queue_oldest_age_seconds', `{queue="${JOB}"}`)).toBeGreaterThanOrEqual(0);
  });

  it('exposes undelivered outbox events', () => {
    expect(sample('outbox_events_pending')).toBe(1);
    expect(sample('outbox_events_parked')).toBe(0);
  });
});

describe('a lost database', () => {
  // Last: this instance cannot reach its database afterwards.
  it('makes readiness fail naming the database check', async () => {
    await ownPool.end();
    const { status, body } = await ready(worker);
    expect(status).toBe(503);
    expect(body.status).toBe('fail');
    expect(body.checks.database?.ok).toBe(false);
    expect(body.checks.database?.detail).toEqual(expect.any(String));
    expect(body.checks.jobs).toEqual({ ok: true });
  });
});
