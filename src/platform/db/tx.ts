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
  return db.transaction((tx) => fn(tx));
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
      return await db.transaction((tx) => fn(tx));
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
