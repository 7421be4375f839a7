import type { Db } from '../db/tx.ts';
import type { PlatformContext } from '../module.ts';

/*
 * "Download my data": each module registers, in its own setup, how to export one user's rows of its
 * own tables, so no module reads another's. The identity module's route assembles every section
 * into one JSON document.
 */

/** Rows per list in an export: the newest ones; a longer history is marked `truncated: true`. */
export const EXPORT_ROW_CAP = 10_000;

/** One list of an export section: the newest rows first, at most EXPORT_ROW_CAP of them. */
export interface ExportList {
  items: unknown[];
  truncated: boolean;
}

export interface Exporter {
  /** The key of the section in the document (`trades`, `wallet`, …); unique per runtime. */
  section: string;
  /** The user's data as it exists: an object of lists and values; no secrets, no other user's personal data. */
  export(db: Db, userId: string): Promise<Record<string, unknown>>;
}

const registries = new WeakMap<PlatformContext, Map<string, Exporter>>();

/** Adds a module's exporter; a second one for the same section is a wiring mistake and throws. */
export function registerExporter(ctx: PlatformContext, exporter: Exporter): void {
  let registry = registries.get(ctx);
  if (!registry) {
    registry = new Map();
    registries.set(ctx, registry);
  }
  if (registry.has(exporter.section)) throw new Error(`export section ${exporter.section} registered twice`);
  registry.set(exporter.section, exporter);
}

/** The registered sections, in registration order (module order). */
export function exportSections(ctx: PlatformContext): string[] {
  return [...(registries.get(ctx)?.keys() ?? [])];
}

/**
 * A capped list: `query(limit)` returns rows newest first; one row past the cap proves there are
 * more, so the list says it was truncated instead of silently ending.
 */
export async function capped(query: (limit: number) => Promise<unknown[]>, cap = EXPORT_ROW_CAP): Promise<ExportList> {
  const rows = await query(cap + 1);
  return { items: rows.slice(0, cap), truncated: rows.length > cap };
}

/** A copy of a row without the named columns (secrets a user's own export still never carries). */
export function without<T extends Record<string, unknown>, K extends keyof T>(row: T, ...keys: K[]): Omit<T, K> {
  const copy: Record<string, unknown> = { ...row };
  for (const key of keys) delete copy[key as string];
  return copy as Omit<T, K>;
}

/** JSON-safe values: bigints as decimal strings (money exceeds 2^53), dates as ISO 8601 UTC. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

/** Whether any list in the sections was cut at the cap. */
function anyTruncated(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.items) && record.truncated === true) return true;
  return Object.values(record).some(anyTruncated);
}

export interface ExportDocument {
  format: 'ece-export/1';
  userId: string;
  exportedAt: string;
  rowCapPerList: number;
  truncated: boolean;
  sections: Record<string, unknown>;
}

/**
 * Every registered section for one user, read in one repeatable-read transaction so the sections
 * agree with each other (a transfer and the order it settled are both in or both out).
 */
export async function buildExport(ctx: PlatformContext, userId: string): Promise<ExportDocument> {
  const exporters = [...(registries.get(ctx)?.values() ?? [])];
  const sections = await ctx.db.transaction(
    async (tx) => {
      const out: Record<string, unknown> = {};
      // One after another: a transaction is one connection.
      for (const exporter of exporters) out[exporter.section] = toJsonSafe(await exporter.export(tx, userId));
      return out;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  return {
    format: 'ece-export/1',
    userId,
    exportedAt: new Date().toISOString(),
    rowCapPerList: EXPORT_ROW_CAP,
    truncated: anyTruncated(sections),
    sections,
  };
}
