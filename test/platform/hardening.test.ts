import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { STRATEGY_TEMPLATES } from '../../src/modules/bots/index.ts';
import { expectProblem, expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer, json } from '../helpers/http.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import { cardHeldBy } from '../support/bots.ts';
import { createUserForTest, login } from '../support/identity.ts';

/*
 * Inputs an attacker (or a confused client) sends that once reached the database or the error
 * handler as they were: ids in `urn:uuid:` form, NUL characters in any text, a stale token on a
 * public route, an error whose extra fields shadowed the problem's own `status`.
 */

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
  admin = await createTestUser(t, { role: 'admin' });
  alice = await createTestUser(t);
}, 60_000);
afterAll(() => t?.close());

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

describe('hardening', () => {
  it('refuses ids in urn:uuid form with a 400 naming the parameter', async () => {
    const urn = `urn:uuid:${uuidv7()}`;
    const card = await get(`/api/cards/${urn}`);
    expectProblem(card, 400, 'validation_failed');
    expect(card.body).toContain('params.id');
    const tickers = await get(`/api/market/tickers?cardIds=${urn}`);
    expectProblem(tickers, 400, 'validation_failed');
    expect(tickers.body).toContain('cardIds');
    // The bare form still works, in either case.
    expectProblem(await get(`/api/cards/${uuidv7().toUpperCase()}`), 404, 'not_found');
  });

  it('refuses NUL characters anywhere in a request with a 400 naming where, and writes nothing', async () => {
    const list = await get('/api/cards?name=dra%00ke');
    expectProblem(list, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(list).errors[0]?.field).toBe('query.name');
    expectProblem(await get('/api/users/ali%00ce'), 400, 'validation_failed');
    const profile = await t.app.inject({
      method: 'PUT',
      url: '/api/users/profile',
      headers: bearer(alice.token),
      payload: { bio: 'hello\u0000world' },
    });
    expectProblem(profile, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(profile).errors[0]?.field).toBe('body.bio');
    const nested = await t.app.inject({
      method: 'POST',
      url: '/api/strategies',
      headers: bearer(alice.token),
      payload: { name: 'x', kind: 'rules', document: { version: 1, note: ['ok', 'n\u0000'] } },
    });
    expect(json<{ errors: { field: string }[] }>(nested).errors[0]?.field).toBe('body.document/note/1');
    const me = json<{ bio: string | null }>(await get('/api/auth/me', bearer(alice.token)));
    expect(me.bio).toBeNull();
  });

  it('ignores a stale token on public routes and keeps protected ones strict', async () => {
    const stale = bearer('not.a.valid-token');
    expectStatus(await get('/health/live', stale), 200);
    expectStatus(await get('/api/cards?limit=1', stale), 200);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: stale,
      payload: { email: alice.email, password: 'wrong-password-for-sure' },
    });
    expectProblem(login, 401, 'invalid_credentials');
    expectProblem(await get('/api/auth/me', stale), 401, 'unauthorized');
    expectProblem(await get('/api/auth/me', { authorization: 'Basic abc' }), 401, 'unauthorized');
  });

  it("keeps the problem's own status when an error carries a state of the same name", async () => {
    const sma = STRATEGY_TEMPLATES.find((x) => x.id === 'sma-crossover');
    const strategy = json<{ id: string }>(
      await t.app.inject({
        method: 'POST',
        url: '/api/strategies',
        headers: bearer(alice.token),
        payload: { name: 'SMA', kind: 'rules', document: sma?.kind === 'rules' ? sma.document : null },
      }),
    );
    const card = await cardHeldBy(t, admin, alice, 'HARD1');
    const bot = json<{ id: string }>(
      await t.app.inject({
        method: 'POST',
        url: '/api/bots',
        headers: bearer(alice.token),
        payload: {
          name: 'b',
          strategyId: strategy.id,
          mode: 'paper',
          variantIds: [card],
          interval: '1h',
          allocation: 1000,
        },
      }),
    );
    const start = () =>
      t.app.inject({ method: 'POST', url: `/api/bots/${bot.id}/start`, headers: bearer(alice.token) });
    expectStatus(await start(), 200);
    const again = await start();
    expectProblem(again, 409, 'bot_state');
    expect(json(again)).toMatchObject({ status: 409, currentStatus: 'running' });
  });

  it('refuses a cursor out of its range and an urn id inside a list with a 400, never a 500', async () => {
    const huge = await get('/api/admin/audit?cursor=9999999999999999999', bearer(admin.token));
    expectProblem(huge, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(huge).errors[0]?.field).toBe('query.cursor');
    // A cursor holding an id beyond the bigint range is refused the same way.
    const forged = Buffer.from(JSON.stringify(['9999999999999999999'])).toString('base64url');
    expectProblem(await get(`/api/admin/audit?cursor=${forged}`, bearer(admin.token)), 400, 'validation_failed');
    // Reading the log is audited, so two reads leave two rows to page through.
    await get('/api/admin/audit', bearer(admin.token));
    await get('/api/admin/audit', bearer(admin.token));
    const first = json<{ nextCursor: string | null }>(await get('/api/admin/audit?limit=1', bearer(admin.token)));
    expect(first.nextCursor).not.toBeNull();
    expectStatus(await get(`/api/admin/audit?limit=1&cursor=${first.nextCursor}`, bearer(admin.token)), 200);

    const before = json<unknown[]>(await get('/api/packs')).length;
    const pack = await t.app.inject({
      method: 'POST',
      url: '/api/packs',
      headers: bearer(admin.token),
      payload: { name: 'urn', price: 1, setIds: [`urn:uuid:${uuidv7()}`], slots: [{ weights: { common: 1 } }] },
    });
    expectProblem(pack, 400, 'validation_failed');
    expect(pack.body).toContain('setIds');
    expect(json<unknown[]>(await get('/api/packs')).length).toBe(before);
  });

  it('tells browsers and caches never to keep a token or account reply', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const signIn = await login(t.app, u.email, u.password);
    expectStatus(signIn, 200);
    expect(signIn.headers['cache-control']).toBe('no-store');
    const session = json<{ accessToken: string; refreshToken: string }>(signIn);
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: session.refreshToken },
    });
    expectStatus(refresh, 200);
    expect(refresh.headers['cache-control']).toBe('no-store');
    const me = await get('/api/auth/me', bearer(session.accessToken));
    expectStatus(me, 200);
    expect(me.headers['cache-control']).toBe('no-store');
    // A refused sign-in is not kept either.
    expect((await login(t.app, u.email, 'not the password')).headers['cache-control']).toBe('no-store');
  });

  it('answers a path segment or headers too large as problem+json too', async () => {
    const long = await get(`/api/cards/${'a'.repeat(600)}`);
    expectProblem(long, 414, 'uri_too_long');

    // Node's parser refuses these before Fastify runs, so only a real socket shows the reply.
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const reply = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/health/live', headers: { 'x-filler': 'a'.repeat(20_000) } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(reply.status).toBe(431);
    expect(reply.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 431, code: 'headers_too_large' });
  });
});
