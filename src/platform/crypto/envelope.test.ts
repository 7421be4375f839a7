import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isSealed,
  KeyringError,
  keyringOf,
  mask,
  needsRotation,
  open,
  parseKeyring,
  rotate,
  seal,
  SealedValueError,
} from './envelope.ts';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const onlyA = parseKeyring(`A:${keyA}`);
const bThenA = parseKeyring(`B:${keyB},A:${keyA}`);
const onlyB = parseKeyring(`B:${keyB}`);
const CONTEXT = 'identity_activity.ip';

/** The stored form's parts: prefix `enc`, version, key id, sealed data key, sealed value. */
function parts(stored: string) {
  const [enc, version, keyId, sealedKey, sealedValue] = stored.split(':');
  return { enc, version, keyId, sealedKey: sealedKey ?? '', sealedValue: sealedValue ?? '' };
}

/** `stored` with one byte of one base64url part flipped. */
function flipByte(stored: string, part: 'sealedKey' | 'sealedValue', index: number): string {
  const p = parts(stored);
  const raw = Buffer.from(p[part], 'base64url');
  raw[index % raw.length] = (raw[index % raw.length] ?? 0) ^ 0x01;
  const changed = { ...p, [part]: raw.toString('base64url') };
  return [changed.enc, changed.version, changed.keyId, changed.sealedKey, changed.sealedValue].join(':');
}

describe('envelope encryption', () => {
  it('seals to an opaque value that opens to the plaintext', () => {
    const stored = seal(onlyA, '203.0.113.7', CONTEXT);
    expect(stored).not.toContain('203.0.113.7');
    expect(isSealed(stored)).toBe(true);
    expect(parts(stored).keyId).toBe('A');
    expect(open(onlyA, stored, CONTEXT)).toBe('203.0.113.7');
  });

  it('seals the same plaintext differently each time', () => {
    expect(seal(onlyA, 'same', CONTEXT)).not.toBe(seal(onlyA, 'same', CONTEXT));
  });

  it('refuses a value with any byte of either part changed', () => {
    const stored = seal(onlyA, 'Jane Doe, 1 High Street', CONTEXT);
    for (const part of ['sealedKey', 'sealedValue'] as const) {
      const length = Buffer.from(parts(stored)[part], 'base64url').length;
      for (let i = 0; i < length; i++) {
        expect(() => open(onlyA, flipByte(stored, part, i), CONTEXT), `${part} byte ${i}`).toThrow(SealedValueError);
      }
    }
  });

  it('refuses a value moved to another column', () => {
    const stored = seal(onlyA, 'Mozilla/5.0', 'identity_sessions.user_agent');
    expect(() => open(onlyA, stored, 'identity_activity.user_agent')).toThrow(SealedValueError);
  });

  it('refuses a value relabelled with another configured key id', () => {
    const stored = seal(bThenA, 'x', CONTEXT);
    const relabelled = stored.replace('enc:v1:B:', 'enc:v1:A:');
    expect(() => open(bThenA, relabelled, CONTEXT)).toThrow(SealedValueError);
  });

  it('names the key when a value is under a key that is not configured', () => {
    const stored = seal(onlyA, 'x', CONTEXT);
    expect(() => open(onlyB, stored, CONTEXT)).toThrow(/key "A".*not configured/);
  });

  it('refuses clear text and malformed values', () => {
    expect(isSealed('203.0.113.7')).toBe(false);
    expect(() => open(onlyA, '203.0.113.7', CONTEXT)).toThrow(/not a sealed value/);
    expect(() => open(onlyA, 'enc:v1:A:only-two', CONTEXT)).toThrow(/malformed/);
    expect(() => open(onlyA, 'enc:v1:A:AAAA:AAAA', CONTEXT)).toThrow(/truncated/);
  });

  it('rotation changes only the key part and keeps the value', () => {
    const stored = seal(onlyA, 'Mozilla/5.0 (X11)', CONTEXT);
    expect(needsRotation(bThenA, stored)).toBe(true);
    const rotated = rotate(bThenA, stored, CONTEXT);
    expect(parts(rotated).keyId).toBe('B');
    expect(parts(rotated).sealedKey).not.toBe(parts(stored).sealedKey);
    expect(parts(rotated).sealedValue).toBe(parts(stored).sealedValue);
    expect(needsRotation(bThenA, rotated)).toBe(false);
    // Once rotated, the old key is no longer needed.
    expect(open(onlyB, rotated, CONTEXT)).toBe('Mozilla/5.0 (X11)');
    expect(rotate(bThenA, rotated, CONTEXT)).toBe(rotated);
  });

  it('rotation refuses a tampered value instead of re-sealing it', () => {
    const stored = seal(onlyA, 'value', CONTEXT);
    expect(() => rotate(bThenA, flipByte(stored, 'sealedValue', 3), CONTEXT)).toThrow(SealedValueError);
    expect(() => rotate(bThenA, stored, 'another.context')).toThrow(SealedValueError);
    expect(() => rotate(onlyB, stored, CONTEXT)).toThrow(/key "A".*not configured/);
  });

  it('any string round-trips, in any context', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ minLength: 1 }), (plaintext, context) => {
        const stored = seal(onlyA, plaintext, context);
        expect(open(onlyA, stored, context)).toBe(plaintext);
        expect(open(bThenA, rotate(bThenA, stored, context), context)).toBe(plaintext);
      }),
      { numRuns: 200 },
    );
  });
});

describe('keyring', () => {
  it('seals with the first key and keeps the others for reading', () => {
    expect(bThenA.currentKeyId).toBe('B');
    expect([...bThenA.keys.keys()]).toEqual(['B', 'A']);
    expect(parseKeyring(` B:${keyB} , A:${keyA} `).currentKeyId).toBe('B');
  });

  it.each([
    ['', /at least one key/],
    [`:${keyA}`, /entry 1: the key id must be/],
    [`bad id:${keyA}`, /entry 1: the key id must be/],
    [`${'x'.repeat(33)}:${keyA}`, /must be 1-32/],
    [`A:${randomBytes(16).toString('base64')}`, /key "A" must be 32 bytes/],
    ['A:not-base64-at-all', /key "A" must be 32 bytes/],
    [`A:${keyA},A:${keyB}`, /key id "A" is listed twice/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseKeyring(spec)).toThrow(KeyringError);
    expect(() => parseKeyring(spec)).toThrow(message);
  });

  it('never echoes a key written the wrong way round (key first, id second)', () => {
    const swapped = `${keyA}:A`;
    expect(() => parseKeyring(swapped)).toThrow(/entry 1/);
    expect(() => parseKeyring(swapped)).not.toThrow(keyA.slice(0, 12));
  });

  it('uses a development key when none is configured, and the configured ones otherwise', () => {
    expect(keyringOf({}).currentKeyId).toBe('dev');
    expect(keyringOf({ DATA_ENCRYPTION_KEYS: `B:${keyB},A:${keyA}` }).currentKeyId).toBe('B');
  });
});

describe('mask', () => {
  it('shows only the last four characters, ignoring spaces', () => {
    expect(mask('GB33 BUKB 2020 1555 5555 55')).toBe('••••5555');
    expect(mask('ab')).toBe('••••ab');
    expect(mask('')).toBe('••••');
  });
});
