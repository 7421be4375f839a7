import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairStream, canonicalJson, commitmentHash, hashServerSeed, rollUpgrade, sha256Hex } from './fair.ts';

const SEED = 'a'.repeat(64);
const OTHER_SEED = 'b'.repeat(64);

/** The published algorithm, written out independently of FairStream: the numbers of a stream, in order. */
function referenceNumbers(seedHex: string, prefix: string, count: number): number[] {
  const numbers: number[] = [];
  for (let step = 0; numbers.length < count; step++) {
    const digest = createHmac('sha256', Buffer.from(seedHex, 'hex')).update(`${prefix}${step}`).digest();
    for (let i = 0; i < 5; i++) numbers.push(Number(BigInt('0x' + digest.subarray(6 * i, 6 * i + 6).toString('hex'))));
  }
  return numbers;
}

/** Draws in [0, n) from a list of numbers the reference way; returns the values and how many numbers each used. */
function referenceDraws(numbers: number[], ranges: number[]) {
  let next = 0;
  return ranges.map((n) => {
    const start = next;
    for (;;) {
      const x = numbers[next++] ?? Number.NaN;
      if (x < 2 ** 48 - (2 ** 48 % n)) return { value: x % n, used: next - start };
    }
  });
}

describe('FairStream', () => {
  it('follows the published algorithm, number by number, across calls and steps', () => {
    const ranges = [1000, 37, 6, 2 ** 32, 12, 5, 9, 100];
    const expected = referenceDraws(referenceNumbers(SEED, 'alice:7:3:', 40), ranges);
    const stream = new FairStream(SEED, 'alice', 7n, 3);
    expect(ranges.map((n) => stream.nextInt(n))).toEqual(expected.map((e) => e.value));
    expect(stream.numbersUsed).toBe(expected.reduce((s, e) => s + e.used, 0));
    expect(stream.steps).toBe(Math.ceil(stream.numbersUsed / 5));
  });

  it('rejects numbers in the incomplete last block instead of folding them (no modulo bias)', () => {
    // With n just above 2^47 about half the numbers fall in the rejected block, so some draws must skip.
    const n = 2 ** 47 + 1;
    const ranges = Array.from({ length: 40 }, () => n);
    const expected = referenceDraws(referenceNumbers(SEED, 'bias:0:0:', 400), ranges);
    const stream = new FairStream(SEED, 'bias', 0, 0);
    expect(ranges.map((r) => stream.nextInt(r))).toEqual(expected.map((e) => e.value));
    expect(expected.some((e) => e.used > 1)).toBe(true);
    expect(stream.numbersUsed).toBe(expected.reduce((s, e) => s + e.used, 0));
  });

  it('is deterministic and stays in range for any inputs', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.string({ maxLength: 64 }),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.nat(20),
        fc.integer({ min: 1, max: 2 ** 32 }),
        (seed, client, nonce, slot, n) => {
          const a = new FairStream(seed, client, nonce, slot).nextInt(n);
          const b = new FairStream(seed, client, nonce, slot).nextInt(n);
          expect(a).toBe(b);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThan(n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('changes with every input', () => {
    const values = (seed: string, client: string, nonce: number, slot: number) => {
      const s = new FairStream(seed, client, nonce, slot);
      return Array.from({ length: 8 }, () => s.nextInt(2 ** 32));
    };
    const base = values(SEED, 'c', 1, 0);
    expect(values(OTHER_SEED, 'c', 1, 0)).not.toEqual(base);
    expect(values(SEED, 'd', 1, 0)).not.toEqual(base);
    expect(values(SEED, 'c', 2, 0)).not.toEqual(base);
    expect(values(SEED, 'c', 1, 1)).not.toEqual(base);
  });

  it('refuses malformed seeds and ranges', () => {
    expect(() => new FairStream('xyz', 'c', 0, 0)).toThrow(RangeError);
    expect(() => new FairStream(SEED.toUpperCase(), 'c', 0, 0)).toThrow(RangeError);
    const s = new FairStream(SEED, 'c', 0, 0);
    expect(() => s.nextInt(0)).toThrow(RangeError);
    expect(() => s.nextInt(1.5)).toThrow(RangeError);
    expect(() => s.nextInt(2 ** 48)).toThrow(RangeError);
  });
});

describe('commitments', () => {
  it('hash the raw seed bytes', () => {
    expect(hashServerSeed(SEED)).toBe(sha256Hex(Buffer.from(SEED, 'hex')));
  });

  it('bind every committed input', () => {
    const base = {
      serverSeedHash: hashServerSeed(SEED),
      clientSeed: 'c',
      nonce: 4n,
      dropTableHash: 'd',
      pityCounter: 2,
    };
    const h = commitmentHash(base);
    expect(commitmentHash({ ...base })).toBe(h);
    expect(commitmentHash({ ...base, serverSeedHash: hashServerSeed(OTHER_SEED) })).not.toBe(h);
    expect(commitmentHash({ ...base, clientSeed: 'x' })).not.toBe(h);
    expect(commitmentHash({ ...base, nonce: 5n })).not.toBe(h);
    expect(commitmentHash({ ...base, dropTableHash: 'e' })).not.toBe(h);
    expect(commitmentHash({ ...base, pityCounter: 3 })).not.toBe(h);
  });

  it('canonical JSON ignores key order but not values', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: null }] })).toBe('{"a":[{"x":null,"y":2}],"b":1}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(canonicalJson({ n: 5n })).toBe('{"n":5}');
  });
});

describe('rollUpgrade', () => {
  it('succeeds exactly when the roll is below the chance', () => {
    for (let nonce = 0; nonce < 50; nonce++) {
      const { roll, success } = rollUpgrade(SEED, 'u', nonce, 5000);
      expect(success).toBe(roll < 5000);
      expect(rollUpgrade(SEED, 'u', nonce, 10_000).success).toBe(true);
      expect(rollUpgrade(SEED, 'u', nonce, 0).success).toBe(false);
    }
  });
});
