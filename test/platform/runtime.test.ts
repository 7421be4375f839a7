import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import type { ModuleDefinition } from '../../src/platform/module.ts';
import { createRuntime } from '../../src/platform/runtime.ts';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'ece-runtime-'));
  dirs.push(dir);
  return dir;
}

const seeded: ModuleDefinition = {
  name: 'seeded',
  seeds: [
    {
      name: 'seeded.greeting',
      demo: true,
      run: async (tx) => {
        await tx.execute(sql`CREATE TABLE IF NOT EXISTS greeting (text text NOT NULL)`);
        await tx.execute(sql`INSERT INTO greeting VALUES ('hello')`);
      },
    },
  ],
};

describe('embedded runtime', () => {
  it('migrates, seeds demo data once, and keeps its data in DATA_DIR across restarts', async () => {
    const dir = await tempDir();
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', PORT: '0' });
    expect(config.embedded).toBe(true);

    const first = await createRuntime(config, { role: 'all', modules: [seeded], seed: true, logger });
    expect(first.database.embedded).toBe(true);
    const ready = await first.app?.inject({ method: 'GET', url: '/health/ready' });
    expect(ready?.json()).toMatchObject({ status: 'ok', checks: { migrations: { ok: true }, jobs: { ok: true } } });
    await first.stop();

    const second = await createRuntime(config, { role: 'all', modules: [seeded], seed: true, logger });
    try {
      const rows = await second.database.db.execute<{ text: string }>(sql`SELECT text FROM greeting`);
      expect(rows.rows.map((r) => r.text)).toEqual(['hello']);
    } finally {
      await second.stop();
    }
  });

  it('a worker process has no HTTP app and an API process reports it runs no jobs', async () => {
    const dir = await tempDir();
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const worker = await createRuntime(config, { role: 'worker', modules: [], logger });
    expect(worker.app).toBeUndefined();
    expect(await worker.listen()).toBeUndefined();
    expect(worker.ctx.jobs.isWorking).toBe(true);
    await worker.stop();
  });

  it('does not seed demo data when SEED_DEMO is false', async () => {
    const dir = await tempDir();
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', SEED_DEMO: 'false' });
    const rt = await createRuntime(config, { role: 'api', modules: [seeded], seed: true, logger });
    try {
      const exists = await rt.database.db.execute<{ t: string | null }>(sql`SELECT to_regclass('greeting')::text AS t`);
      expect(exists.rows[0]?.t).toBeNull();
      expect(rt.ctx.jobs.isWorking).toBe(false);
    } finally {
      await rt.stop();
    }
  });
});
