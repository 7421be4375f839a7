import { createServer } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modules } from '../../src/modules/index.ts';
import { createRuntime, type Runtime } from '../../src/platform/runtime.ts';
import { TEST_SIGNING_SECRET, testConfig } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { declaredFamilies } from './metrics-text.ts';

// Worker processes have no HTTP API; with METRICS_PORT set they still serve /metrics, so
// Prometheus sees the jobs, outbox, bots and reconciliation they run.

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

let database: TestDatabase;
let runtime: Runtime;
let port: number;

beforeAll(async () => {
  database = await createTestDatabase();
  port = await freePort();
  runtime = await createRuntime(testConfig({ RUN_WORKERS: 'true', METRICS_PORT: String(port) }), {
    role: 'worker',
    modules,
    database,
    logger: pino({ level: 'silent' }),
    signingSecret: TEST_SIGNING_SECRET,
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  await database?.destroy();
});

describe('worker /metrics', () => {
  it('serves the registry of the worker on METRICS_PORT, and nothing else', async () => {
    expect(runtime.app).toBeUndefined();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const families = declaredFamilies(await res.text());
    for (const name of [
      'job_queue_oldest_age_seconds',
      'outbox_events_parked',
      'ledger_reconciliation_violations',
      'bot_ticks_total',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect((await fetch(`http://127.0.0.1:${port}/api/cards`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('stops serving when the worker stops', async () => {
    await runtime.stop();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
