import { sql } from 'drizzle-orm';
import { PgTransaction, type PgDatabase } from 'drizzle-orm/pg-core';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { isRetryableConflict } from './errors.ts';

/** The database or an open transaction: every repo function takes one as its first argument. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- drizzle's schema generics are unused: repos use the core query builder
export type Db = PgDatabase<NodePgQueryResultHKT, any, any>;

/**
 * Runs `fn` in a transaction: joins `db` when it already is one, opens one otherwise.
 * Everything `fn` writes (business rows, ledger entries, outbox events, jobs) commits or rolls back
 * together.
 */
export function withTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db instanceof PgTransaction) return fn(db);
  return runCommitted(db, fn);
}

// Work queued by `afterCommit`, by the session of the outermost transaction (savepoints share it).
const committed = new WeakMap<object, (() => void)[]>();

/**
 * Runs `fn` once the transaction `db` belongs to has committed (at once when `db` is no
 * transaction); dropped when it rolls back. Only for effects outside the database, such as
 * counters: an error thrown by `fn` is swallowed. Transactions opened by the helpers of this file
 * track the queue; in one opened otherwise, `fn` is dropped.
 */
export function afterCommit(db: Db, fn: () => void): void {
  const queue = db instanceof PgTransaction ? committed.get(sessionOf(db)) : undefined;
  if (queue) queue.push(fn);
  else if (!(db instanceof PgTransaction)) runQuietly(fn);
}

/** Opens a transaction whose `afterCommit` work runs when it commits (a savepoint inside one joins its queue). */
async function runCommitted<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db instanceof PgTransaction) return db.transaction((tx) => fn(tx));
  const queue: (() => void)[] = [];
  const result = await db.transaction((tx) => {
    committed.set(sessionOf(tx), queue);
    return fn(tx);
  });
  for (const run of queue) runQuietly(run);
  return result;
}

/** The connection session of a transaction, shared by its savepoints (drizzle keeps it untyped on transactions). */
function sessionOf(tx: Db): object {
  return (tx as unknown as { session: object }).session;
}

function runQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // An after-commit effect never fails the work that committed.
  }
}

export function isTransaction(db: Db): boolean {
  return db instanceof PgTransaction;
}

/**
 * Runs `fn` in a new transaction, again (up to `attempts` times) when PostgreSQL aborts it as a
 * deadlock or serialization victim: the work rolled back, so repeating it is safe.
 */
export async function withRetryableTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runCommitted(db, fn);
    } catch (err) {
      if (attempt >= attempts || !isRetryableConflict(err)) throw err;
    }
  }
}

/** The connected database's name (scopes shared cache keys to one database). */
export async function databaseName(db: Db): Promise<string> {
  const r = await db.execute<{ name: string }>(sql`SELECT current_database() AS name`);
  return r.rows[0]?.name ?? 'default';
}
