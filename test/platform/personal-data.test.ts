import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringOf } from '../../src/platform/crypto/envelope.ts';
import { SEALED_COLUMNS } from '../../src/platform/crypto/sealed-columns.ts';
import { listStoredMail, StoredMailer } from '../../src/platform/mail/index.ts';
import { PERSONAL_DATA_CATALOGUE } from '../../src/platform/privacy/catalogue.ts';
import type { TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createUserForTest, login, startIdentityApp } from '../support/identity.ts';

/**
 * The column walk: every text-like column of the migrated schema has one classification in the
 * personal-data catalogue, and every catalogue entry names a column that exists.
 */
let database: TestDatabase;
let live: Map<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  const r = await database.pool.query<{ table_name: string; column_name: string; udt_name: string }>(
    `SELECT table_name, column_name, udt_name FROM information_schema.columns
      WHERE table_schema = 'public'
        AND (data_type IN ('text', 'character varying', 'jsonb', 'json', 'inet') OR udt_name = 'citext')
        AND table_name NOT LIKE '\\_\\_%'
      ORDER BY table_name, ordinal_position`,
  );
  live = new Map(r.rows.map((c) => [`${c.table_name}.${c.column_name}`, c.udt_name]));
});
afterAll(async () => database?.destroy());

describe('personal data catalogue', () => {
  it('reads a schema with text columns in it', () => {
    expect(live.get('identity_users.email')).toBe('text');
    expect(live.get('identity_users.notification_preferences')).toBe('jsonb');
  });

  it('classifies every text, varchar, jsonb, inet and citext column', () => {
    const unclassified = [...live.keys()].filter((c) => !(c in PERSONAL_DATA_CATALOGUE));
    expect(unclassified, `classify these in src/platform/privacy/catalogue.ts`).toEqual([]);
  });

  it('names only columns that exist', () => {
    const stale = Object.keys(PERSONAL_DATA_CATALOGUE).filter((c) => !live.has(c));
    expect(stale, `remove or rename these in src/platform/privacy/catalogue.ts`).toEqual([]);
  });

  it('calls sealed exactly the registered sealed columns', () => {
    const classified = Object.entries(PERSONAL_DATA_CATALOGUE)
      .filter(([, c]) => c.kind === 'sealed')
      .map(([name]) => name)
      .sort();
    const registered = SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`).sort();
    expect(classified).toEqual(registered);
  });

  it('gives every erased column a mechanism and every exempt column a reason', () => {
    const vague = Object.entries(PERSONAL_DATA_CATALOGUE)
      .filter(([, c]) => c.kind !== 'sealed' && (c.kind === 'erased' ? c.mechanism : c.reason).trim().length < 5)
      .map(([name]) => name);
    expect(vague).toEqual([]);
  });

  it('keeps sealed columns as text with a single-column primary key of the registered type', async () => {
    for (const col of SEALED_COLUMNS) {
      expect(live.get(`${col.table}.${col.column}`), `${col.context}`).toBe('text');
      const pk = await database.pool.query<{ column_name: string; udt_name: string }>(
        `SELECT k.column_name, c.udt_name FROM information_schema.table_constraints t
           JOIN information_schema.key_column_usage k
             ON k.constraint_name = t.constraint_name AND k.table_name = t.table_name
           JOIN information_schema.columns c ON c.table_name = k.table_name AND c.column_name = k.column_name
          WHERE t.table_schema = 'public' AND t.table_name = $1 AND t.constraint_type = 'PRIMARY KEY'`,
        [col.table],
      );
      expect(pk.rows, col.context).toEqual([{ column_name: col.primaryKey, udt_name: col.primaryKeyType }]);
    }
  });
});

describe('personal data at rest in identity', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startIdentityApp();
  });
  afterAll(async () => t?.close());

  const AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
  const stored = async (sqlText: string, id: string) =>
    (await t.database.pool.query<{ ip: string | null; ua: string | null }>(sqlText, [id])).rows;

  it('seals devices and activity addresses in the database and shows them opened to their owner', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: u.email, password: u.password, client: 'app' },
      remoteAddress: '203.0.113.9',
      headers: { 'user-agent': AGENT },
    });
    expect(res.statusCode).toBe(200);
    const token = (res.json() as { accessToken: string }).accessToken;
    const headers = { authorization: `Bearer ${token}` };

    const sessions = await stored(`SELECT ip, user_agent AS ua FROM identity_sessions WHERE user_id = $1`, u.id);
    const fresh = sessions.find((r) => r.ip === '203.0.113.9');
    expect(fresh?.ua).toMatch(/^enc:v1:dev:/);
    expect(fresh?.ua).not.toContain('Firefox');
    const activity = await stored(`SELECT ip, user_agent AS ua FROM identity_activity WHERE user_id = $1`, u.id);
    expect(activity.length).toBeGreaterThan(0);
    for (const row of activity) {
      expect(row.ip).toMatch(/^enc:v1:dev:/);
      expect(row.ua).toMatch(/^enc:v1:dev:/);
    }

    const listed = await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers });
    const items = (listed.json() as { items: { ip: string; userAgent: string | null; current: boolean }[] }).items;
    expect(items.find((s) => s.current)).toMatchObject({ ip: '203.0.113.9', userAgent: AGENT });
    // The test account's first session was written in clear, as rows from before sealing are.
    expect(items.find((s) => !s.current)).toMatchObject({ userAgent: 'test' });

    const own = await t.app.inject({ method: 'GET', url: '/api/users/activity', headers });
    const events = (own.json() as { items: { type: string; ip: string | null; userAgent: string | null }[] }).items;
    expect(events.find((e) => e.type === 'login_succeeded')).toMatchObject({ ip: '203.0.113.9', userAgent: AGENT });
  });

  it('still recognises an address after it is sealed (a redeemed reset lets its owner past the account lock)', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    // A sealed password-reset row from an address, as resetPassword writes it.
    const { insertActivity } = await import('../../src/modules/identity/security-repo.ts');
    await insertActivity(t.database.db, keyringOf(t.config), {
      userId: u.id,
      type: 'password_reset',
      ip: '198.51.100.77',
    });
    const { isKnownAddress } = await import('../../src/modules/identity/session-repo.ts');
    expect(await isKnownAddress(t.database.db, keyringOf(t.config), u.id, '198.51.100.77', 30)).toBe(true);
    expect(await isKnownAddress(t.database.db, keyringOf(t.config), u.id, '198.51.100.78', 30)).toBe(false);
  });

  it('erases the ban reason and the mail kept for the address when the account is deleted', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    // Mail kept in the database for an install without SMTP, as the reset and verification mails are.
    await new StoredMailer(t.database.db, pino({ level: 'silent' })).send({
      to: u.email,
      subject: 'Reset your password',
      text: `Hello ${u.username}`,
    });
    expect((await listStoredMail(t.database.db, u.email)).length).toBeGreaterThan(0);
    await t.database.pool.query(`UPDATE identity_users SET ban_reason = 'spam to @someone' WHERE id = $1`, [u.id]);

    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/users/account',
      headers: u.headers,
      payload: { password: u.password },
    });
    expect(del.statusCode).toBe(204);
    expect(await listStoredMail(t.database.db, u.email)).toEqual([]);
    const [row] = (
      await t.database.pool.query<{ ban_reason: string | null; email: string | null }>(
        `SELECT ban_reason, email FROM identity_users WHERE id = $1`,
        [u.id],
      )
    ).rows;
    expect(row).toEqual({ ban_reason: null, email: null });
    expect((await login(t.app, u.email, u.password)).statusCode).toBe(401);
  });
});
