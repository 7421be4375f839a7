import { uuidv7 } from 'uuidv7';
import type { Seeder } from '../../platform/db/seed.ts';
import { checkPasswordStrength, MIN_HASH_PARAMS, PasswordHasher } from './password.ts';
import { insertUser } from './repo.ts';
import type { Role } from './tables.ts';

/** The demo accounts (documented in the README): one per role, plus a second user to trade with. */
export const DEMO_ACCOUNTS: readonly { email: string; username: string; password: string; role: Role }[] = [
  { email: 'admin@example.com', username: 'admin', password: 'Lantern-Orbit-Kestrel-42', role: 'admin' },
  { email: 'moderator@example.com', username: 'moderator', password: 'Marble-Falcon-Teapot-7', role: 'moderator' },
  { email: 'alice@example.com', username: 'alice', password: 'Copper-Meadow-Violin-19', role: 'user' },
  { email: 'bob@example.com', username: 'bob', password: 'Quartz-Harbor-Pepper-88', role: 'user' },
];

/** Hashed at the floor parameters; a sign-in rehashes them if the server asks for more. */
export const demoUsersSeeder: Seeder = {
  name: 'identity.demo-users',
  demo: true,
  async run(tx) {
    const hasher = new PasswordHasher(MIN_HASH_PARAMS);
    for (const a of DEMO_ACCOUNTS) {
      const verdict = checkPasswordStrength(a.password, [a.email, a.username]);
      if (!verdict.ok) throw new Error(`demo password of ${a.username} ${verdict.reason}`);
      await insertUser(tx, {
        id: uuidv7(),
        email: a.email,
        username: a.username,
        displayName: a.username[0]?.toUpperCase() + a.username.slice(1),
        passwordHash: await hasher.hash(a.password),
        role: a.role,
        emailVerifiedAt: new Date(),
      });
    }
  },
};

/**
 * Market makers behind the demo exchange's history and books. They have no password (nobody signs
 * in as them) and were "registered" well before the history they trade in.
 */
export const DEMO_TRADERS: readonly string[] = ['maker_ada', 'maker_bram', 'maker_cleo', 'maker_dev', 'maker_esme'];

export const demoTradersSeeder: Seeder = {
  name: 'identity.demo-traders',
  demo: true,
  async run(tx) {
    const registered = new Date(Date.now() - 90 * 24 * 3_600_000);
    for (const username of DEMO_TRADERS) {
      await insertUser(tx, {
        id: uuidv7(),
        email: `${username}@traders.example.com`,
        username,
        displayName: username.replace('maker_', 'Maker ').replace(/\b\w/g, (c) => c.toUpperCase()),
        passwordHash: null,
        role: 'user',
        emailVerifiedAt: registered,
        createdAt: registered,
      });
    }
  },
};
