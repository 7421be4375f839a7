import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client.ts';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.ts';

/*
 * One process per embedded data directory: a second opener is refused with who holds it, a lock
 * left by a process that died is taken over, and closing the database lets the next one in.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ece-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('embedded data directory lock', () => {
  it('refuses a second holder and names the first; released, it can be taken again', async () => {
    const data = path.join(dir, 'a');
    const release = await lockDataDir(data);
    expect(await readFile(`${data}.lock`, 'utf8')).toBe(String(process.pid));
    const second = await lockDataDir(data).catch((err: unknown) => err);
    expect(second).toBeInstanceOf(DataDirInUseError);
    expect((second as DataDirInUseError).pid).toBe(process.pid);
    await release();
    const again = await lockDataDir(data);
    await again();
  });

  it('takes over a lock whose process is gone', async () => {
    const data = path.join(dir, 'b');
    // A pid that was alive a moment ago and has exited.
    const gone = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']));
    await writeFile(`${data}.lock`, String(gone));
    const release = await lockDataDir(data);
    expect(await readFile(`${data}.lock`, 'utf8')).toBe(String(process.pid));
    await release();
  });

  it('takes over a lock naming this process that this process never took (a restarted container)', async () => {
    const data = path.join(dir, 'd');
    await writeFile(`${data}.lock`, String(process.pid));
    const release = await lockDataDir(data);
    await expect(lockDataDir(data)).rejects.toBeInstanceOf(DataDirInUseError);
    await release();
  });

  it('keeps a second embedded database off a directory in use until the first closes', async () => {
    const data = path.join(dir, 'c');
    const first = await openDatabase({ dataDir: data, poolSize: 1 });
    await expect(openDatabase({ dataDir: data, poolSize: 1 })).rejects.toBeInstanceOf(DataDirInUseError);
    await first.close();
    const second = await openDatabase({ dataDir: data, poolSize: 1 });
    expect((await second.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await second.close();
  }, 60_000);
});
