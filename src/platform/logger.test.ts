import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.ts';

const TOKEN = '0190a1b2c3d4e5f60718293a4b5c6d7e-5000.0123456789abcdef01234567';

describe('request logging', () => {
  it('keeps checkout tokens out of access logs', () => {
    const lines: string[] = [];
    const logger = createLogger({ LOG_LEVEL: 'info' }, { write: (line: string) => void lines.push(line) });
    for (const url of [
      `/api/payments/sandbox/checkout/${TOKEN}`,
      `/api/payments/sandbox/checkout/${TOKEN}/complete?x=1`,
    ]) {
      logger.info({ req: { id: 'r1', method: 'GET', url } }, 'request');
    }
    expect(lines).toHaveLength(2);
    const urls = lines.map((l) => (JSON.parse(l) as { req: { url: string } }).req.url);
    expect(urls).toEqual([
      '/api/payments/sandbox/checkout/[REDACTED]',
      '/api/payments/sandbox/checkout/[REDACTED]/complete?x=1',
    ]);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('still redacts secret query parameters and leaves other paths alone', () => {
    expect(redactUrl('/api/auth/verify?token=abc&next=/x')).toBe('/api/auth/verify?token=[REDACTED]&next=/x');
    expect(redactUrl('/api/wallet/balance')).toBe('/api/wallet/balance');
  });
});
