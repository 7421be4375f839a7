import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** Fails with the body when the status differs: a failing test shows the problem's `code`. */
export function expectStatus(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  return res;
}

/** A problem+json reply with this status and stable `code`. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json<{ code: string }>().code).toBe(code);
}
