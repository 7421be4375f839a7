import { PgTransaction, type PgDatabase } from 'drizzle-orm/pg-core';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';

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
