import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { createUserForTest, startIdentityApp } from '../../../test/support/identity.ts';

describe('role changes by an admin who no longer is one', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startIdentityApp();
  });
  afterAll(() => t?.close());

  it('are refused even while the demoted admin’s cached session still says admin', async () => {
    const demoted = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    await createUserForTest(t.runtime.ctx, { role: 'admin' });
    const target = await createUserForTest(t.runtime.ctx, { role: 'user' });
    // Warm the session cache as admin, then demote behind its back (as a concurrent request would).
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: demoted.headers })).statusCode).toBe(200);
    await t.runtime.ctx.db.execute(sql`UPDATE identity_users SET role = 'user' WHERE id = ${demoted.id}`);

    const res = await t.app.inject({
      method: 'PUT',
      url: `/api/admin/users/${target.id}/role`,
      headers: demoted.headers,
      payload: { role: 'moderator' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden' });
    const row = await t.runtime.ctx.db.execute<{ role: string }>(
      sql`SELECT role FROM identity_users WHERE id = ${target.id}`,
    );
    expect(row.rows[0]?.role).toBe('user');
  });
});
