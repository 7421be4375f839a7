import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/tx.ts';
import { auditLog } from './tables.ts';

/** Where an action came from: carried from the HTTP edge into services without HTTP types. */
export interface RequestOrigin {
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface AuditActor {
  type: 'user' | 'system' | 'provider';
  /** User id, provider name or job name. */
  id: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  /** Verb-like and dotted: `wallet.transfer`, `payment.deposit.succeeded`, `admin.ledger.reconcile`. */
  action: string;
  target: { type: string; id: string };
  asset?: string | null;
  amount?: bigint | null;
  origin?: RequestOrigin;
  details?: Record<string, unknown>;
}

/** The request's address, user agent and id, for audit rows. */
export function originOf(request: FastifyRequest): RequestOrigin {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null, requestId: String(request.id) };
}

/** Appends one audit row; pass the transaction of the change so both commit or neither does. */
export async function appendAudit(tx: Db, entry: AuditEntry): Promise<void> {
  await appendAudits(tx, [entry]);
}

export async function appendAudits(tx: Db, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditLog).values(
    entries.map((e) => ({
      actorType: e.actor.type,
      actorId: e.actor.id,
      action: e.action,
      targetType: e.target.type,
      targetId: e.target.id,
      asset: e.asset ?? null,
      amount: e.amount ?? null,
      ip: e.origin?.ip ?? null,
      userAgent: e.origin?.userAgent ?? null,
      requestId: e.origin?.requestId ?? null,
      details: e.details ?? null,
    })),
  );
}

/**
 * The INSERT of `entries` as a statement fragment, for writers that fold their audit row into a
 * larger statement (the ledger writes it in the same statement as the movement it describes).
 */
export function auditInsertSql(entries: AuditEntry[]): SQL {
  const rows = entries.map(
    (e) => sql`(${e.actor.type}, ${e.actor.id}, ${e.action}, ${e.target.type}, ${e.target.id}, ${e.asset ?? null},
      ${e.amount ?? null}::bigint, ${e.origin?.ip ?? null}, ${e.origin?.userAgent ?? null}, ${e.origin?.requestId ?? null},
      ${e.details ? JSON.stringify(e.details) : null}::jsonb)`,
  );
  return sql`INSERT INTO platform_audit_log
    (actor_type, actor_id, action, target_type, target_id, asset, amount, ip, user_agent, request_id, details)
    VALUES ${sql.join(rows, sql`, `)}`;
}

export interface AuditFilter {
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** Rows older than this id (the previous page's cursor). */
  before?: bigint;
  limit: number;
}

export type AuditRow = typeof auditLog.$inferSelect;

/** Newest first; returns up to `limit` rows. */
export async function listAudit(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  const where: SQL[] = [];
  if (f.actorId) where.push(eq(auditLog.actorId, f.actorId));
  if (f.action) where.push(eq(auditLog.action, f.action));
  if (f.targetType) where.push(eq(auditLog.targetType, f.targetType));
  if (f.targetId) where.push(eq(auditLog.targetId, f.targetId));
  if (f.from) where.push(gte(auditLog.occurredAt, f.from));
  if (f.to) where.push(lt(auditLog.occurredAt, f.to));
  if (f.before !== undefined) where.push(lt(auditLog.id, f.before));
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(f.limit);
}
