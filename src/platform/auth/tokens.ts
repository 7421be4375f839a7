import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config.ts';

/** Who is calling: decoded from a verified access token. */
export interface Principal {
  userId: string;
  role: string;
  sessionId: string;
}

interface Key {
  kid: string;
  secret: Uint8Array;
}

const ALG = 'HS256';
const TYP = 'at+jwt';

function keyOf(secret: string): Key {
  return {
    kid: createHash('sha256').update(secret).digest('hex').slice(0, 16),
    secret: new TextEncoder().encode(secret),
  };
}

export class InvalidTokenError extends Error {}

/** Verified tokens remembered per process; a client sends the same token until it expires. */
const VERIFIED_TOKENS = 10_000;

/**
 * Signs and verifies access tokens. The current key signs; previous keys (by `kid`) still verify
 * so keys can rotate without logging everyone out. A token that verified is remembered until its
 * expiry, so the next request with it skips the signature check (revocation and bans are not
 * the token's business: the principal checks run on every request).
 */
export class TokenService {
  private readonly current: Key;
  private readonly byKid: Map<string, Key>;
  private readonly verified = new LRUCache<string, { principal: Principal; expiresAt: number }>({
    max: VERIFIED_TOKENS,
  });

  constructor(
    secret: string,
    previous: readonly string[],
    private readonly issuer: string,
    private readonly audience: string,
    private readonly ttlSeconds: number,
  ) {
    this.current = keyOf(secret);
    this.byKid = new Map([this.current, ...previous.map(keyOf)].map((k) => [k.kid, k]));
  }

  async sign(p: Principal): Promise<string> {
    return new SignJWT({ role: p.role, sid: p.sessionId })
      .setProtectedHeader({ alg: ALG, typ: TYP, kid: this.current.kid })
      .setSubject(p.userId)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setJti(randomBytes(12).toString('base64url'))
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.current.secret);
  }

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known && Date.now() < known.expiresAt) return { ...known.principal };
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid ? this.byKid.get(header.kid) : undefined;
          if (!key) throw new InvalidTokenError('unknown key id');
          return key.secret;
        },
        { algorithms: [ALG], issuer: this.issuer, audience: this.audience, typ: TYP, requiredClaims: ['exp', 'sub'] },
      );
      if (typeof payload.sub !== 'string' || typeof payload.role !== 'string' || typeof payload.sid !== 'string') {
        throw new InvalidTokenError('malformed claims');
      }
      const principal = { userId: payload.sub, role: payload.role, sessionId: payload.sid };
      this.verified.set(token, { principal, expiresAt: (payload.exp as number) * 1000 });
      return { ...principal };
    } catch (err) {
      if (err instanceof InvalidTokenError) throw err;
      if (err instanceof joseErrors.JOSEError) throw new InvalidTokenError(err.code);
      throw err;
    }
  }
}

/**
 * The signing secret: JWT_SECRET when set (required in production); otherwise one generated once
 * and kept in the data directory, so an embedded install keeps its sessions across restarts.
 */
export async function resolveSigningSecret(config: Config, persist: boolean): Promise<string> {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  if (!persist) return randomBytes(32).toString('base64url');
  const file = path.resolve(config.DATA_DIR, 'jwt-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

export function createTokenService(config: Config, secret: string) {
  return new TokenService(
    secret,
    config.JWT_PREVIOUS_SECRETS,
    config.JWT_ISSUER,
    config.JWT_AUDIENCE,
    config.ACCESS_TOKEN_TTL_SECONDS,
  );
}
