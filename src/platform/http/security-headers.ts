import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/*
 * Security headers (Helmet's policies: CSP, HSTS, frame, referrer, MIME sniffing and the rest).
 * Helmet's middleware parses its options into headers on every call; with fixed options the
 * headers never change, so they are worked out once at start and each reply gets the same set.
 */

/** The headers Helmet sets for these options, and the ones it removes. */
export function securityHeaders(options: HelmetOptions): { set: Record<string, string>; removed: string[] } {
  const set: Record<string, string> = {};
  const removed: string[] = [];
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete set[name.toLowerCase()];
      removed.push(name.toLowerCase());
    },
  };
  helmet(options)({} as never, res as never, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error(String(err));
  });
  return { set, removed };
}

export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: HelmetOptions) => {
    const { set } = securityHeaders(options);
    app.addHook('onRequest', (_request, reply, done) => {
      void reply.headers(set);
      done();
    });
  },
  { fastify: '5.x', name: 'security-headers' },
);
