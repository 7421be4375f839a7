import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './postgres.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function waitUntilLive(base: string, child: ChildProcess) {
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const live = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

/**
 * Starts the all-in-one service (`src/main.ts`) as its own process on a free loopback port, so the
 * load generator does not share its event loop; resolves once `/health/live` answers.
 */
export async function startServerProcess(
  env: (port: number) => NodeJS.ProcessEnv,
): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: env(port),
  });
  try {
    await waitUntilLive(base, child);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  return { base, child };
}
