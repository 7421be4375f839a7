import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import type { ModuleDefinition } from './module.ts';
import { createRuntime, type RuntimeOptions } from './runtime.ts';

/**
 * Starts a process of the given role and stops it gracefully on SIGTERM/SIGINT: the server stops
 * accepting, in-flight requests and jobs finish, then the database closes. A bad configuration
 * exits with code 1 and a message naming the variable.
 */
export async function runProcess(
  role: RuntimeOptions['role'],
  modules: readonly ModuleDefinition[],
  choose: (config: Config) => Pick<RuntimeOptions, 'migrate' | 'seed'>,
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const runtime = await createRuntime(config, { role, modules, ...choose(config) });
  const log = runtime.ctx.logger;
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'stopping after an unexpected error');
    else log.info({ signal }, 'stopping');
    await runtime.stop();
  });
  const address = await runtime.listen();
  if (address) {
    const base = config.PUBLIC_URL ?? address;
    log.info(
      { address, embedded: runtime.database.embedded, role },
      `ECE Trading Cards is listening on ${address} — API docs at ${base}/api/docs`,
    );
  } else {
    log.info({ role }, 'worker started');
  }
}
