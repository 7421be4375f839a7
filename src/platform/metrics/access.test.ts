import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { serveMetrics } from './metrics.ts';

const TOKEN = 'scrape-token-0123456789abcdef';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, METRICS_TOKEN: TOKEN } });
}, 60_000);
afterAll(() => t?.close());

describe('/metrics behind METRICS_TOKEN', () => {
  it('answers the API port only with the bearer token', async () => {
    const anonymous = await t.app.inject({ url: '/metrics' });
    expectProblem(anonymous, 401, 'metrics_token_required');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(anonymous.body).not.toContain('nodejs_');
    const wrong = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } });
    expectProblem(wrong, 401, 'metrics_token_required');
    // A user's access token is not the scrape token.
    const basic = await t.app.inject({ url: '/metrics', headers: { authorization: `Basic ${TOKEN}` } });
    expectProblem(basic, 401, 'metrics_token_required');
    const scrape = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.body).toContain('nodejs_eventloop_lag_seconds');
  });

  it("asks for the same token on a worker's metrics port", async () => {
    const server = await serveMetrics(t.runtime.ctx.metrics, '127.0.0.1', 0, TOKEN);
    try {
      expect((await fetch(`${server.address}/metrics`)).status).toBe(401);
      const scrape = await fetch(`${server.address}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      await server.close();
    }
  });
});
