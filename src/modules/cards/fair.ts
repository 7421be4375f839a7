import { createHash, createHmac } from 'node:crypto';

/**
 * Provably fair randomness. A user's server seed (32 random bytes) is the HMAC key; its SHA-256 is
 * published before any use. The random numbers of one slot of an opening come from the steps
 *   HMAC-SHA256(key = server seed bytes, message = `${clientSeed}:${nonce}:${slot}:${step}`), step = 0, 1, …
 * each step's 32 bytes giving five 48-bit big-endian numbers (bytes 0-5, 6-11, …, 24-29; the last two
 * bytes are unused), taken in order. To map a number x to [0, n) without modulo bias, x is rejected
 * when it falls in the incomplete last block (x >= 2^48 - 2^48 mod n) and the next number is used.
 * Anyone holding the revealed seed can recompute every draw.
 */
export const FAIRNESS_ALGORITHM =
  'step s: HMAC-SHA256(serverSeed bytes, "clientSeed:nonce:slot:s") = five 48-bit big-endian numbers ' +
  '(bytes 0-5, 6-11, 12-17, 18-23, 24-29) used in order, then step s + 1; a draw in [0, n) accepts ' +
  'x < 2^48 - (2^48 mod n) and returns x mod n, else takes the next number';

/** Where the whole procedure is written down, and how to check a record without this service. */
export const HOW_TO_VERIFY =
  'The procedure (seeds, stream, rarity and card draws, pity, supply, hashes) is specified in docs/fairness.md. ' +
  'Save this response as a file and run `npm run fairness:verify -- <file>` (scripts/fairness-verify.mjs: one file, ' +
  'Node.js only, no server), or reimplement it from the specification.';

const RANGE = 2 ** 48;
const NUMBERS_PER_STEP = 5;
/**
 * Draws use ranges far below 2^32, where a number is rejected with probability below 2^-16; even at
 * the largest allowed range (just over 2^47, rejected about half the time) 64 rejections in a row
 * have probability 2^-64.
 */
const MAX_REJECTIONS = 64;
const MAX_DRAW_RANGE = 2 ** 47 + 1;

export const SERVER_SEED_BYTES = 32;
const HEX_SEED = /^[0-9a-f]{64}$/;

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The published commitment to a server seed: SHA-256 of its raw bytes, hex. */
export function hashServerSeed(serverSeedHex: string): string {
  return sha256Hex(seedKey(serverSeedHex));
}

function seedKey(serverSeedHex: string): Buffer {
  if (!HEX_SEED.test(serverSeedHex))
    throw new RangeError('a server seed is 32 bytes written as 64 lower-case hex digits');
  return Buffer.from(serverSeedHex, 'hex');
}

/**
 * The random numbers of one slot of one opening (or of one upgrade roll, slot 0). Numbers carry on
 * across calls, so the card draw continues the stream after the rarity draw.
 */
export class FairStream {
  private step = 0;
  private digest: Buffer | undefined;
  private used = NUMBERS_PER_STEP;
  private readonly key: Buffer;
  private readonly prefix: string;

  constructor(serverSeedHex: string, clientSeed: string, nonce: bigint | number, slot: number) {
    this.key = seedKey(serverSeedHex);
    this.prefix = `${clientSeed}:${nonce}:${slot}:`;
  }

  private nextNumber(): number {
    if (!this.digest || this.used === NUMBERS_PER_STEP) {
      this.digest = createHmac('sha256', this.key)
        .update(this.prefix + String(this.step++))
        .digest();
      this.used = 0;
    }
    return this.digest.readUIntBE(6 * this.used++, 6);
  }

  /** A uniform integer in [0, n), 1 <= n <= 2^47 + 1. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > MAX_DRAW_RANGE) throw new RangeError(`draw range out of bounds: ${n}`);
    const limit = RANGE - (RANGE % n);
    for (let tries = 0; tries < MAX_REJECTIONS; tries++) {
      const x = this.nextNumber();
      if (x < limit) return x % n;
    }
    throw new Error('fair stream rejected too many numbers in a row');
  }

  /** HMAC steps computed so far (shown in proofs so a verifier can follow along). */
  get steps(): number {
    return this.step;
  }

  /** 48-bit numbers consumed so far, rejected ones included. */
  get numbersUsed(): number {
    return this.step === 0 ? 0 : (this.step - 1) * NUMBERS_PER_STEP + this.used;
  }
}

/** JSON with object keys sorted at every level: the one byte form a hash of a structure is taken over. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('canonicalJson cannot encode undefined or functions');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Published before an opening: binds the seed, the client seed, the nonce, the drop table and the pity counter. */
export interface CommitmentInputs {
  serverSeedHash: string;
  clientSeed: string;
  nonce: bigint | number;
  dropTableHash: string;
  pityCounter: number;
}

export function commitmentHash(c: CommitmentInputs): string {
  return sha256Hex(`${c.serverSeedHash}:${c.clientSeed}:${c.nonce}:${c.dropTableHash}:${c.pityCounter}`);
}

/** Outcome of an upgrade attempt: roll uniform in [0, 10000), success when below the published chance. */
export function rollUpgrade(serverSeedHex: string, clientSeed: string, nonce: bigint | number, successBps: number) {
  const roll = new FairStream(serverSeedHex, clientSeed, nonce, 0).nextInt(10_000);
  return { roll, success: roll < successBps };
}
