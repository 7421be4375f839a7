import { describe, expect, it } from 'vitest';
import { pgToolConnection } from '../../scripts/support/cli.ts';

describe('PostgreSQL client tools', () => {
  it('get the password in their environment, never on their command line', () => {
    const { dbname, env } = pgToolConnection('postgres://ece:s%40cret%2Fpw@db.internal:5433/ece?sslmode=require');
    expect(dbname).toBe('postgres://ece@db.internal:5433/ece?sslmode=require');
    expect(dbname).not.toContain('cret');
    expect(env.PGPASSWORD).toBe('s@cret/pw');
  });

  it('leave the environment as it is when the URL has no password', () => {
    const { dbname, env } = pgToolConnection('postgres://postgres@127.0.0.1:5432/test');
    expect(dbname).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(env.PGPASSWORD).toBe(process.env.PGPASSWORD);
  });
});
