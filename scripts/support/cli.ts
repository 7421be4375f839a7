import { ConfigError, loadConfig, type Config } from '../../src/config.ts';

/** Ends the command with `message` on stderr (exit 2: bad usage or configuration). */
export function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** The configuration from the environment; a bad one ends the command with its message and exit 2. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
}

/**
 * How a PostgreSQL client tool reaches `url`: the URL without its password for `--dbname`, and the
 * password in the child's environment (`PGPASSWORD`), so it never shows in the process list.
 */
export function pgToolConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: password ? { ...process.env, PGPASSWORD: password } : process.env };
}
