import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import type { ModuleDefinition } from '../../src/platform/module.ts';
import { REDIS_URL } from '../helpers/db.ts';
import { createTestApp } from '../helpers/app.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Child {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first JSON log line that satisfies `match`. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `src/main.ts` as operators do, with only the given environment. */
function startMain(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  const seen: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      seen.push(line);
      for (const w of waiters.filter((w) => w.match(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(match) {
      const found = seen.find(match);
      if (found) return Promise.resolve(found);
      return Promise.race([
        new Promise<Record<string, unknown>>((resolve) => waiters.push({ match, resolve })),
        exited.then(({ code }) => {
          throw new Error(`process exited with ${code} before the expected log line:\n${out}\n${err}`);
        }),
      ]);
    },
    kill: (signal) => child.kill(signal),
  };
}

/** Status of one request on a fresh connection, or the connection error's code. */
function get(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('the main process', () => {
  it('refuses a bad configuration with exit code 1 and a message naming the variable', async () => {
    const child = startMain({ PORT: 'abc' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr()).toContain('PORT');
    expect(child.stderr()).toContain('invalid configuration');
  });

  it('serves on the embedded database and stops cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ece-main-'));
    tempDirs.push(dataDir);
    const child = startMain({
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'info',
      SEED_DEMO: 'false',
      ...(REDIS_URL ? { REDIS_URL } : {}),
    });
    try {
      const listening = await child.waitForLog((l) => typeof l.address === 'string');
      expect(listening.embedded).toBe(true);
      expect(await get(`${String(listening.address)}/health/ready`)).toBe(200);

      child.kill('SIGTERM');
      const { code } = await child.exited;
      expect(code, `${child.stdout()}\n${child.stderr()}`).toBe(0);
      expect(await child.waitForLog((l) => l.msg === 'stopping')).toMatchObject({ signal: 'SIGTERM' });
      expect(child.stderr()).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('graceful stop', () => {
  it('lets an in-flight request finish while refusing new connections', async () => {
    let entered: () => void = () => {};
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowModule: ModuleDefinition = {
      name: 'slow-test',
      routes: async (app) => {
        app.get(
          '/api/test/slow',
          { schema: { response: { 200: Type.Object({ done: Type.Boolean() }) } } },
          async () => {
            entered();
            await released;
            return { done: true };
          },
        );
      },
    };
    const t = await createTestApp({ modules: [slowModule], env: { PORT: '0' } });
    let stopped = false;
    try {
      const address = await t.runtime.listen();
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const inFlight = get(`${address}/api/test/slow`);
      await handlerEntered;

      const stopping = t.runtime.stop().then(() => (stopped = true));
      // The listening socket closes first; the request already inside keeps going.
      while (t.app.server.listening) await new Promise((r) => setTimeout(r, 5));
      expect(await get(`${address}/health/live`)).toBe('ECONNREFUSED');
      expect(stopped).toBe(false);

      release();
      expect(await inFlight).toBe(200);
      await stopping;
      expect(await get(`${address}/health/live`)).toBe('ECONNREFUSED');
    } finally {
      release();
      await t.close();
    }
  });
});
