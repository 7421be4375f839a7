import pg from 'pg';
import { isSealed, rotate, seal, SealedValueError, type Keyring } from './envelope.ts';
import { SEALED_COLUMNS, type SealedColumn } from './sealed-columns.ts';

/** What one pass did to one column. */
export interface ColumnRotation {
  column: string;
  /** Sealed under an older key, now under the current one. */
  rotated: number;
  /** Held in clear (written before the column was sealed), now sealed. */
  sealed: number;
  /** Changed by the service while the pass ran (the service writes under the current key): left alone. */
  skipped: number;
}

/** A value the configured keys cannot rotate: under a removed key, or not a value this column sealed. */
export class RotationError extends Error {}

const ident = (name: string) => pg.escapeIdentifier(name);

interface Row {
  pk: string;
  value: string;
}

/**
 * Brings every value of one column under the current key, `batchSize` rows per transaction, paging
 * by primary key. Rows already under the current key are not read. Each row is updated only if it
 * still holds the value read, so a pass is safe while the service runs and writes; running it again
 * changes nothing.
 */
export async function rotateColumn(
  pool: pg.Pool,
  keyring: Keyring,
  col: SealedColumn,
  batchSize = 500,
): Promise<ColumnRotation> {
  const result: ColumnRotation = { column: col.context, rotated: 0, sealed: 0, skipped: 0 };
  const current = `enc:v1:${keyring.currentKeyId}:`;
  const [table, pk, column] = [ident(col.table), ident(col.primaryKey), ident(col.column)];
  let after: string | null = null;
  for (;;) {
    const page: pg.QueryResult<Row> = await pool.query<Row>(
      `SELECT ${pk}::text AS pk, ${column} AS value FROM ${table}
        WHERE ${column} IS NOT NULL AND NOT starts_with(${column}, $1)
          AND ($2::${col.primaryKeyType} IS NULL OR ${pk} > $2::${col.primaryKeyType})
        ORDER BY ${pk} LIMIT $3`,
      [current, after, batchSize],
    );
    if (page.rows.length === 0) return result;
    const next = page.rows.map((r) => ({ ...r, next: resealed(keyring, col, r) }));
    const updated = await pool.query<{ old: string }>(
      `UPDATE ${table} t SET ${column} = v.next
         FROM unnest($1::${col.primaryKeyType}[], $2::text[], $3::text[]) AS v(pk, old, next)
        WHERE t.${pk} = v.pk AND t.${column} = v.old
        RETURNING v.old`,
      [next.map((r) => r.pk), next.map((r) => r.value), next.map((r) => r.next)],
    );
    const clear = updated.rows.filter((r) => !isSealed(r.old)).length;
    result.sealed += clear;
    result.rotated += updated.rows.length - clear;
    result.skipped += next.length - updated.rows.length;
    after = page.rows[page.rows.length - 1]?.pk ?? null;
  }
}

function resealed(keyring: Keyring, col: SealedColumn, row: Row): string {
  if (!isSealed(row.value)) return seal(keyring, row.value, col.context);
  try {
    return rotate(keyring, row.value, col.context);
  } catch (err) {
    if (!(err instanceof SealedValueError)) throw err;
    throw new RotationError(`${col.context} row ${row.pk}: ${err.message}`);
  }
}

/** Rotates every registered sealed column (or the ones given), one after the other. */
export async function rotateSealedColumns(
  pool: pg.Pool,
  keyring: Keyring,
  opts: { columns?: readonly SealedColumn[]; batchSize?: number } = {},
): Promise<ColumnRotation[]> {
  const results: ColumnRotation[] = [];
  for (const col of opts.columns ?? SEALED_COLUMNS)
    results.push(await rotateColumn(pool, keyring, col, opts.batchSize));
  return results;
}
