import { and, desc, eq, ilike, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { sessions, users, type NotificationPreferences, type Role, type UserStatus } from './tables.ts';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type UserPatch = Partial<
  Pick<
    NewUser,
    | 'username'
    | 'displayName'
    | 'bio'
    | 'avatarUrl'
    | 'collectionVisibility'
    | 'locale'
    | 'timezone'
    | 'notificationPreferences'
    | 'passwordHash'
    | 'passwordChangedAt'
    | 'emailVerifiedAt'
    | 'role'
    | 'status'
    | 'bannedAt'
    | 'banReason'
  >
>;

/** Inserts an account; returns null when the email or username is already taken. */
export async function insertUser(db: Db, values: NewUser): Promise<UserRow | null> {
  const [row] = await db.insert(users).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

/** What the signed-in account sees of itself: no password hash or other secrets leave the table. */
export const meColumns = {
  id: users.id,
  email: users.email,
  username: users.username,
  displayName: users.displayName,
  bio: users.bio,
  avatarUrl: users.avatarUrl,
  collectionVisibility: users.collectionVisibility,
  role: users.role,
  status: users.status,
  emailVerifiedAt: users.emailVerifiedAt,
  createdAt: users.createdAt,
};
export type MeRow = { [K in keyof typeof meColumns]: UserRow[K] };

export async function findMe(db: Db, id: string): Promise<MeRow | null> {
  const [row] = await db.select(meColumns).from(users).where(eq(users.id, id));
  return row ?? null;
}

/** By lower-cased email; deleted accounts have none, so they are never found. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.email, email));
  return row ?? null;
}

/** By username, case-insensitively, among accounts that are not deleted. */
/** The few facts other modules ask about an account (never its secrets): by id or by username. */
export async function findAccountFacts(db: Db, by: { id: string } | { username: string }) {
  const [row] = await db
    .select({ id: users.id, username: users.username, status: users.status, emailVerifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(
      'id' in by
        ? eq(users.id, by.id)
        : and(sql`lower(${users.username}) = lower(${by.username})`, sql`${users.status} <> 'deleted'`),
    );
  return row ?? null;
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRow | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(sql`lower(${users.username}) = lower(${username})`, sql`${users.status} <> 'deleted'`));
  return row ?? null;
}

export async function usernameExists(db: Db, username: string): Promise<boolean> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`);
  return rows.length > 0;
}

export async function updateUser(db: Db, id: string, patch: UserPatch): Promise<UserRow | null> {
  const [row] = await db
    .update(users)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning();
  return row ?? null;
}

/** Erases personal data but keeps the row and its id, which other records point at. */
export async function anonymiseUser(db: Db, id: string): Promise<void> {
  await db
    .update(users)
    .set({
      email: null,
      username: `deleted_${id.replaceAll('-', '').slice(-16)}`,
      displayName: null,
      bio: null,
      avatarUrl: null,
      collectionVisibility: 'private',
      passwordHash: null,
      status: 'deleted',
      // A moderator's words about the person: personal data like the rest.
      banReason: null,
      deletedAt: sql`now()`,
      locale: 'en',
      timezone: 'UTC',
      notificationPreferences: {},
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, id));
}

/** Only the preferences column: notification delivery reads it on every notification. */
export async function findNotificationPreferences(db: Db, id: string): Promise<NotificationPreferences | null> {
  const [row] = await db
    .select({ prefs: users.notificationPreferences, status: users.status })
    .from(users)
    .where(eq(users.id, id));
  return row && row.status !== 'deleted' ? row.prefs : null;
}

/**
 * Locks every active admin row, in id order, until the transaction ends and returns their ids.
 * Role changes that could remove an admin take this lock first, so two admins demoting each other
 * at once are settled one after the other and the second sees the first's result.
 */
export async function lockActiveAdmins(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.status, 'active')))
    .orderBy(users.id)
    .for('update');
  return rows.map((r) => r.id);
}

export interface UserSearch {
  q?: string;
  role?: Role;
  status?: UserStatus;
  limit: number;
  beforeId?: string;
}

/** Accounts newest first, by a substring of username or email, role and status. */
export async function searchUsers(db: Db, s: UserSearch): Promise<UserRow[]> {
  const where: SQL[] = [];
  if (s.q) {
    const pattern = `%${s.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const match = or(ilike(users.username, pattern), ilike(users.email, pattern));
    if (match) where.push(match);
  }
  if (s.role) where.push(eq(users.role, s.role));
  if (s.status) where.push(eq(users.status, s.status));
  if (s.beforeId) where.push(lt(users.id, s.beforeId));
  return db
    .select()
    .from(users)
    .where(and(...where))
    .orderBy(desc(users.id))
    .limit(s.limit);
}

export interface PrincipalRow {
  revoked: boolean;
  sessionExpiresAt: Date;
  status: UserStatus;
  role: Role;
  emailVerified: boolean;
}

/** What the per-request check needs about one token's session and its account. */
export async function loadPrincipalRow(db: Db, sessionId: string, userId: string): Promise<PrincipalRow | null> {
  const [row] = await db
    .select({
      revoked: sql<boolean>`${sessions.revokedAt} IS NOT NULL`,
      sessionExpiresAt: sessions.expiresAt,
      status: users.status,
      role: users.role,
      emailVerified: sql<boolean>`${users.emailVerifiedAt} IS NOT NULL`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
  return row ?? null;
}

/** When each account was created, for other modules' rules (account age); unknown ids are absent. */
export async function accountsCreatedAt(db: Db, userIds: readonly string[]): Promise<Map<string, Date>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, createdAt: users.createdAt })
    .from(users)
    .where(inArray(users.id, [...userIds]));
  return new Map(rows.map((r) => [r.id, r.createdAt]));
}

/** Public facts of these accounts for rankings: name, state and collection visibility. */
export function boardUserRows(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select({
      id: users.id,
      username: users.username,
      status: users.status,
      collectionVisibility: users.collectionVisibility,
    })
    .from(users)
    .where(inArray(users.id, [...ids]));
}

/** Active accounts with a public collection after `afterId`, ascending by id. */
export function publicCollectorIds(db: Db, afterId: string | null, limit: number) {
  return db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(
      and(
        eq(users.status, 'active'),
        eq(users.collectionVisibility, 'public'),
        afterId ? sql`${users.id} > ${afterId}` : undefined,
      ),
    )
    .orderBy(users.id)
    .limit(limit);
}
