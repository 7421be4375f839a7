import type { RouteOptions } from 'fastify';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import type { Access } from './guards.ts';
import { hasPermission } from './permissions.ts';
import { sampleValue } from './sample-body.ts';
import { createUserForTest, type TestUser } from '../../../test/support/identity.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';

/**
 * The authorization matrix: every route the app registers, from every module, is checked from its
 * declared `config.access`. A route without a declaration fails the first test, so new routes
 * join by existing. Routes whose resource a stranger cannot name by a random id (or whose body the
 * sampler cannot build) get a fixture below.
 */

// Third-party plugin routes (the docs UI) cannot carry a declaration; they serve public files.
const UNDECLARED_PUBLIC = /^\/api\/docs(\/|$)/;

type Fixture = (victim: TestUser) => { params?: Record<string, string>; body?: unknown };
const FIXTURES: Record<string, Fixture> = {
  'DELETE /api/auth/sessions/:id': (victim) => ({ params: { id: victim.sessionId } }),
};

/**
 * Routes whose parameter names someone the caller acts about on their own list (blocking or
 * following a user), not a resource of that user: a stranger may block or follow anyone. Their
 * rules are tested in trades/blocks.test.ts and community/social.test.ts (each user sees and
 * changes only their own list; a user who blocked the caller cannot be followed).
 */
const OWN_LIST_ROUTES = new Set([
  'PUT /api/users/blocks/:username',
  'DELETE /api/users/blocks/:username',
  'PUT /api/community/users/:username/follow',
  'DELETE /api/community/users/:username/follow',
  // Stops the caller's own follow (idempotent); rules in social/profiles.test.ts.
  'DELETE /api/social/follow/:username',
  // Names a catalogue achievement, not a user's resource: a claim only ever pays the caller's own
  // progress (another user's completed achievement is 409 not_claimable for them; rewards/routes.test.ts).
  'POST /api/rewards/claim/:id',
]);

interface Entry {
  method: string;
  url: string;
  access: Access | undefined;
  route: RouteOptions;
}

let t: TestApp;
let entries: Entry[];
let stranger: TestUser;
let unverified: TestUser;
let victim: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
  entries = t.app.routeCatalog.flatMap((route) =>
    [route.method]
      .flat()
      .filter((m) => m !== 'HEAD' && m !== 'OPTIONS')
      .map((method) => ({ method, url: route.url, access: route.config?.access, route })),
  );
  [stranger, unverified, victim] = await Promise.all([
    createUserForTest(t.runtime.ctx),
    createUserForTest(t.runtime.ctx, { verified: false }),
    createUserForTest(t.runtime.ctx),
  ]);
});
afterAll(() => t.close());

const label = (e: Entry) => `${e.method} ${e.url}`;
const paramNames = (url: string) => [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
const fill = (url: string, params: Record<string, string>) =>
  url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? uuidv7()));
const isPublic = (e: Entry) => e.access === 'public' || (e.access === undefined && UNDECLARED_PUBLIC.test(e.url));
const bodySchema = (e: Entry) => (e.route.schema as { body?: unknown } | undefined)?.body;

function request(e: Entry, headers: Record<string, string>, params: Record<string, string> = {}, body?: unknown) {
  const payload = body ?? (bodySchema(e) ? sampleValue(bodySchema(e)) : undefined);
  return t.app.inject({
    method: e.method as 'GET',
    url: fill(e.url, params),
    headers,
    ...(payload === undefined || e.method === 'GET' ? {} : { payload: payload as object }),
  });
}

describe('authorization matrix over every registered route', () => {
  it('every route declares its access', () => {
    const missing = entries.filter((e) => e.access === undefined && !UNDECLARED_PUBLIC.test(e.url)).map(label);
    expect(missing).toEqual([]);
    expect(entries.length).toBeGreaterThan(20);
  });

  it('non-public routes answer 401 without a token, whatever the input', async () => {
    const wrong: string[] = [];
    for (const e of entries.filter((x) => !isPublic(x))) {
      const res = await request(e, {});
      if (res.statusCode !== 401) wrong.push(`${label(e)} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it('routes needing a permission answer 403 to a plain user', async () => {
    const wrong: string[] = [];
    for (const e of entries) {
      const access = e.access;
      if (typeof access !== 'object' || hasPermission('user', access.permission)) continue;
      const res = await request(e, stranger.headers);
      if (res.statusCode !== 403) wrong.push(`${label(e)} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it('routes for verified users answer 403 email_not_verified to an unverified one', async () => {
    const wrong: string[] = [];
    for (const e of entries.filter((x) => x.access === 'verified')) {
      const res = await request(e, unverified.headers);
      const code = res.statusCode === 403 ? res.json<{ code: string }>().code : '';
      if (code !== 'email_not_verified') wrong.push(`${label(e)} → ${res.statusCode} ${code}`);
    }
    expect(wrong).toEqual([]);
  });

  it("a user acting on another user's resource gets 403 or 404", async () => {
    const wrong: string[] = [];
    const resourceRoutes = entries.filter((e) => {
      if (isPublic(e) || paramNames(e.url).length === 0 || OWN_LIST_ROUTES.has(label(e))) return false;
      return typeof e.access !== 'object' || hasPermission('user', e.access.permission);
    });
    for (const e of resourceRoutes) {
      const fixture = FIXTURES[label(e)]?.(victim) ?? {};
      const params = { username: victim.username, ...fixture.params };
      const res = await request(e, stranger.headers, params, fixture.body);
      if (res.statusCode !== 403 && res.statusCode !== 404) {
        wrong.push(`${label(e)} → ${res.statusCode} (add a fixture if the sampled input is not valid)`);
      }
    }
    expect(wrong).toEqual([]);
    // The victim's own resources are intact.
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: victim.headers });
    expect(me.statusCode).toBe(200);
  });
});
