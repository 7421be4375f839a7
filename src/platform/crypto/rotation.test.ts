import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { isSealed, parseKeyring } from './envelope.ts';
import { rotateSealedColumns, RotationError } from './rotation.ts';
import { openValue, sealedColumn, sealValue, SEALED_COLUMNS } from './sealed-columns.ts';

const keyA = `A:${randomBytes(32).toString('base64')}`;
const keyB = `B:${randomBytes(32).toString('base64')}`;
const underA = parseKeyring(keyA);
const underB = parseKeyring(`${keyB},${keyA}`);
const onlyB = parseKeyring(keyB);

const activityIp = sealedColumn('identity_activity', 'ip');
const activityAgent = sealedColumn('identity_activity', 'user_agent');
const sessionAgent = sealedColumn('identity_sessions', 'user_agent');

let database: TestDatabase;
/** What each row's sealed columns must open to, by column context and row id. */
const expected = new Map<string, string | null>();
/** Per column context: how many values were seeded under key A and how many in clear. */
const seeded = new Map<string, { underA: number; clear: number }>();

function tally(context: string, value: string | null, legacy: boolean) {
  const c = seeded.get(context) ?? { underA: 0, clear: 0 };
  if (value !== null) c[legacy ? 'clear' : 'underA'] += 1;
  seeded.set(context, c);
}

async function addUser(): Promise<string> {
  const id = uuidv7();
  await database.pool.query(`INSERT INTO identity_users (id, email, username) VALUES ($1, $2, $3)`, [
    id,
    `${id}@example.test`,
    `u_${id.slice(-12)}`,
  ]);
  return id;
}

/** Rows sealed under key A, a few left in clear as before sealing, some without values. */
async function seedRows(userId: string, count: number) {
  for (let i = 0; i < count; i++) {
    const id = uuidv7();
    const legacy = i % 5 === 0;
    const ip = i % 7 === 3 ? null : `198.51.100.${i}`;
    const agent = `Agent/${i} (${randomBytes(4).toString('hex')})`;
    await database.pool.query(
      `INSERT INTO identity_activity (id, user_id, type, ip, user_agent) VALUES ($1, $2, 'login_succeeded', $3, $4)`,
      [
        id,
        userId,
        legacy ? ip : sealValue(underA, activityIp, ip),
        legacy ? agent : sealValue(underA, activityAgent, agent),
      ],
    );
    expected.set(`${activityIp.context}/${id}`, ip);
    tally(activityIp.context, ip, legacy);
    tally(activityAgent.context, agent, legacy);
    tally(sessionAgent.context, agent, legacy);
    expected.set(`${activityAgent.context}/${id}`, agent);
    const sessionId = uuidv7();
    await database.pool.query(
      `INSERT INTO identity_sessions (id, user_id, client, ip, user_agent, expires_at)
       VALUES ($1, $2, 'app', '198.51.100.1', $3, now() + interval '1 day')`,
      [sessionId, userId, legacy ? agent : sealValue(underA, sessionAgent, agent)],
    );
    expected.set(`${sessionAgent.context}/${sessionId}`, agent);
  }
}

async function stored() {
  const rows = new Map<string, string | null>();
  for (const col of [activityIp, activityAgent, sessionAgent]) {
    const r = await database.pool.query<{ id: string; value: string | null }>(
      `SELECT id::text AS id, ${col.column} AS value FROM ${col.table}`,
    );
    for (const row of r.rows) rows.set(`${col.context}/${row.id}`, row.value);
  }
  return rows;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await seedRows(await addUser(), 23);
});
afterAll(async () => database?.destroy());

describe('key rotation', () => {
  it('registers every column it walks with a primary key and a context', () => {
    expect(SEALED_COLUMNS.map((c) => c.context)).toEqual(
      expect.arrayContaining(['identity_activity.ip', 'identity_activity.user_agent', 'identity_sessions.user_agent']),
    );
  });

  it('stops with the column, row and key named when a key is missing, changing nothing', async () => {
    const before = await stored();
    await expect(rotateSealedColumns(database.pool, onlyB, { batchSize: 100 })).rejects.toThrow(RotationError);
    await expect(rotateSealedColumns(database.pool, onlyB, { batchSize: 100 })).rejects.toThrow(
      /identity_sessions\.user_agent row [0-9a-f-]{36}: sealed under key "A", which is not configured/,
    );
    // The first column's batch was written only if every value in it could be rotated: none could.
    const after = await stored();
    for (const [k, v] of before) if (v !== null && v.startsWith('enc:v1:A:')) expect(after.get(k)).toBe(v);
  });

  it('brings every value under the current key in batches, keeping each plaintext', async () => {
    const results = await rotateSealedColumns(database.pool, underB, { batchSize: 4 });
    // Every registered column is walked; only the identity ones hold rows here.
    expect(results.map((r) => r.column).sort()).toEqual(SEALED_COLUMNS.map((c) => c.context).sort());
    for (const r of results) {
      const c = seeded.get(r.column) ?? { underA: 0, clear: 0 };
      expect(r).toEqual({ column: r.column, rotated: c.underA, sealed: c.clear, skipped: 0 });
    }
    expect([...seeded.values()].every((c) => c.underA > 0 && c.clear > 0)).toBe(true);

    const after = await stored();
    expect(after.size).toBe(expected.size);
    for (const [key, plaintext] of expected) {
      const value = after.get(key) ?? null;
      if (plaintext === null) {
        expect(value).toBeNull();
        continue;
      }
      expect(value, key).toMatch(/^enc:v1:B:/);
      const col = [activityIp, activityAgent, sessionAgent].find((c) => key.startsWith(`${c.context}/`));
      if (!col) throw new Error(`no column for ${key}`);
      // Only key B is needed from now on.
      expect(openValue(onlyB, col, value)).toBe(plaintext);
    }
  });

  it('changes nothing when run again', async () => {
    const before = await stored();
    const results = await rotateSealedColumns(database.pool, underB, { batchSize: 4 });
    for (const r of results) expect(r).toEqual({ column: r.column, rotated: 0, sealed: 0, skipped: 0 });
    expect(await stored()).toEqual(before);
    expect([...before.values()].filter((v) => v !== null).every((v) => isSealed(v))).toBe(true);
  });

  it('leaves a row the service changed meanwhile to the service', async () => {
    const [userId] = (await database.pool.query<{ id: string }>(`SELECT id FROM identity_users LIMIT 1`)).rows.map(
      (r) => r.id,
    );
    const id = uuidv7();
    await database.pool.query(
      `INSERT INTO identity_activity (id, user_id, type, user_agent) VALUES ($1, $2, 'login_failed', $3)`,
      [id, userId, sealValue(underA, activityAgent, 'old device')],
    );
    // A writer that replaces the value between the pass reading and updating it: the conditional
    // update finds a different value and leaves the row alone.
    const pool = database.pool;
    const racing = new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return async (text: string, values?: unknown[]) => {
          if (text.trimStart().startsWith('UPDATE')) {
            await target.query(`UPDATE identity_activity SET user_agent = $1 WHERE id = $2`, [
              sealValue(underB, activityAgent, 'new device'),
              id,
            ]);
          }
          return target.query(text, values);
        };
      },
    });
    const [result] = await rotateSealedColumns(racing, underB, { columns: [activityAgent] });
    expect(result).toEqual(expect.objectContaining({ rotated: 0, sealed: 0, skipped: 1 }));
    const row = await pool.query<{ v: string }>(`SELECT user_agent AS v FROM identity_activity WHERE id = $1`, [id]);
    expect(openValue(onlyB, activityAgent, row.rows[0]?.v ?? null)).toBe('new device');
  });
});
