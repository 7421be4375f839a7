import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';

/*
 * One pagination: every list pages through the platform's opaque cursor, so a cursor that is not
 * one of ours is the same 400 `validation_failed` naming `query.cursor` on every list, never a 500,
 * an empty page or a list-specific code. The lists are found in the route catalogue, so a new list
 * joins by existing.
 */

const GARBAGE = ['bm9wZQ', 'not a cursor', Buffer.from('["9999999999999999999999"]').toString('base64url')];

let t: TestApp;
let admin: CreatedTestUser;
let lists: string[];

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
  admin = await createTestUser(t, { role: 'admin' });
  lists = t.app.routeCatalog
    .filter((route) => [route.method].flat().includes('GET') && !route.url.includes(':'))
    .filter((route) => {
      const query = (route.schema as { querystring?: { properties?: Record<string, unknown> } } | undefined)
        ?.querystring;
      return query?.properties?.cursor !== undefined;
    })
    .map((route) => route.url);
}, 60_000);
afterAll(() => t?.close());

describe('every paged list', () => {
  it('refuses a cursor it did not issue with the one shared problem', async () => {
    expect(lists).toEqual(
      expect.arrayContaining(['/api/notifications', '/api/wallet/transactions', '/api/admin/audit']),
    );
    const wrong: string[] = [];
    for (const url of lists) {
      for (const cursor of GARBAGE) {
        const res = await t.app.inject({
          url: `${url}?cursor=${encodeURIComponent(cursor)}`,
          headers: bearer(admin.token),
        });
        const body = res.json<{ code?: string; errors?: { field: string }[] }>();
        if (res.statusCode !== 400 || body.code !== 'validation_failed' || body.errors?.[0]?.field !== 'query.cursor') {
          wrong.push(`${url} cursor=${cursor} → ${res.statusCode} ${body.code ?? ''}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
