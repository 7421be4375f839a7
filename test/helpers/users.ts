import { createUserForTest } from '../support/identity.ts';
import type { TestApp } from './app.ts';

export interface CreatedTestUser {
  id: string;
  username: string;
  email: string;
  /** A valid access token for `authorization: Bearer …`. */
  token: string;
}

/** A signed-in account with an open session, verified unless `verified: false`. */
export async function createTestUser(
  t: TestApp,
  opts: { role?: 'user' | 'moderator' | 'admin'; verified?: boolean; username?: string } = {},
): Promise<CreatedTestUser> {
  const user = await createUserForTest(t.runtime.ctx, opts);
  return { id: user.id, username: user.username, email: user.email, token: user.accessToken };
}
