import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

/*
 * One process at a time on an embedded data directory: two PGlite instances writing the same
 * files corrupt them. The holder's pid sits in `<dir>.lock`; a lock whose process has gone (a
 * crash, kill -9) is taken over. A lock naming this very process is held only if this process
 * took it: a restarted container often gets the pid its crashed predecessor had.
 */

/** Lock files this process holds. */
const held = new Set<string>();

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is open in process ${pid}. Stop that process first ` +
        '(two processes on one data directory would corrupt it), or point DATABASE_URL at PostgreSQL.',
    );
    this.name = 'DataDirInUseError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory's lock; resolves to its release. Throws DataDirInUseError when held. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = `${path.resolve(dataDir)}.lock`;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      held.add(file);
      return async () => {
        held.delete(file);
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      const mine = pid === process.pid;
      if (Number.isInteger(pid) && pid > 0 && (mine ? held.has(file) : alive(pid))) {
        throw new DataDirInUseError(dataDir, pid);
      }
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not take the lock of ${dataDir}`);
}
