import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { createUserForTest, startIdentityApp, type TestUser } from '../../../test/support/identity.ts';

/** Two admins demoting each other at the same moment must not leave the platform without one. */
describe.skipIf(!onPostgres)('the last admin under concurrent demotions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startIdentityApp();
  });
  afterAll(() => t?.close());

  const demote = (actor: TestUser, target: TestUser) =>
    t.app.inject({
      method: 'PUT',
      url: `/api/admin/users/${target.id}/role`,
      headers: actor.headers,
      payload: { role: 'user' },
    });

  async function activeAdmins(): Promise<string[]> {
    const r = await t.runtime.ctx.db.execute<{ id: string }>(
      sql`SELECT id FROM identity_users WHERE role = 'admin' AND status = 'active'`,
    );
    return r.rows.map((row) => row.id);
  }

  it('settles each pair one after the other: exactly one demotion wins', async () => {
    let survivor = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    // Several rounds: a read-check-write race shows up in at least one of them.
    for (let round = 0; round < 6; round++) {
      const newcomer = await createUserForTest(t.runtime.ctx, { role: 'admin' });
      const [a, b] = await Promise.all([demote(survivor, newcomer), demote(newcomer, survivor)]);
      const admins = await activeAdmins();
      expect(admins, `round ${round}`).toHaveLength(1);
      expect([a, b].filter((r) => r.statusCode === 200)).toHaveLength(1);
      // The loser is refused as the last admin, or (when the winner committed before its request
      // was authorised) as no longer being an admin at all.
      const refused = a.statusCode === 200 ? b : a;
      expect(['last_admin', 'forbidden']).toContain(refused.json<{ code: string }>().code);
      survivor = admins[0] === newcomer.id ? newcomer : survivor;
    }
  });
});
