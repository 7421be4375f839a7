import type { LightMyRequestResponse } from 'fastify';

/** Workers off (tests drain the outbox by hand) and a rate limit no test reaches. */
export const QUIET_ENV = { RUN_WORKERS: 'false', RATE_LIMIT_MAX: '100000' };

/** `{ authorization: 'Bearer …' }` for `app.inject`. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const json = <T = Record<string, unknown>>(res: LightMyRequestResponse) => res.json<T>();
