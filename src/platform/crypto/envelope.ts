import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Envelope encryption for personal data at rest (AES-256-GCM). Each value gets its own random
 * data key; the data key is sealed with a key-encrypting key named by an id, and the id travels
 * with the value. Rotating keys re-seals only the 32-byte data key, never the value itself, and
 * values sealed under any key still in the keyring keep opening while rotation runs.
 *
 * Stored form (text, one column): `enc:v1:<key id>:<sealed data key>:<sealed value>`, both parts
 * base64url of `iv (12) ‖ ciphertext ‖ tag (16)`. The `context` (say `payments.payout_destinations.details`)
 * is authenticated with the value, so a sealed value copied into another column does not open.
 */

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface Keyring {
  /** The key new values are sealed with. */
  readonly currentKeyId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

export class KeyringError extends Error {}

/** A sealed value that does not open: tampered, moved to another context, or under a key no longer configured. */
export class SealedValueError extends Error {}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `DATA_ENCRYPTION_KEYS`: comma-separated `<key id>:<base64 of 32 bytes>`; the first entry
 * seals new values, the others stay for reading values not yet rotated.
 */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (!KEY_ID.test(id))
      throw new KeyringError(
        `entry ${keys.size + 1}: the key id must be 1-32 letters, digits, - or _ (written "<id>:<base64 key>")`,
      );
    if (key.length !== KEY_BYTES) throw new KeyringError(`key "${id}" must be ${KEY_BYTES} bytes, base64-encoded`);
    if (keys.has(id)) throw new KeyringError(`key id "${id}" is listed twice`);
    keys.set(id, key);
  }
  const first = entries.length > 0 ? [...keys.keys()][0] : undefined;
  if (!first) throw new KeyringError('at least one key is required');
  return { currentKeyId: first, keys };
}

function encrypt(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

function decrypt(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SealedValueError('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedValueError('sealed value does not open (tampered, or sealed for another context)');
  }
}

interface Parts {
  keyId: string;
  sealedKey: string;
  sealedValue: string;
}

function split(stored: string): Parts {
  if (!stored.startsWith(PREFIX)) throw new SealedValueError('not a sealed value');
  const [keyId, sealedKey, sealedValue, ...rest] = stored.slice(PREFIX.length).split(':');
  if (!keyId || !sealedKey || !sealedValue || rest.length > 0) throw new SealedValueError('malformed sealed value');
  return { keyId, sealedKey, sealedValue };
}

function keyOf(keyring: Keyring, keyId: string): Buffer {
  const key = keyring.keys.get(keyId);
  if (!key) throw new SealedValueError(`sealed under key "${keyId}", which is not configured`);
  return key;
}

const dataKeyAad = (keyId: string, context: string) => `${keyId}|${context}`;

/** Seals `plaintext` for one column (`context`) under the keyring's current key. */
export function seal(keyring: Keyring, plaintext: string, context: string): string {
  const keyId = keyring.currentKeyId;
  const dataKey = randomBytes(KEY_BYTES);
  const sealedKey = encrypt(keyOf(keyring, keyId), dataKey, dataKeyAad(keyId, context));
  const sealedValue = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), context);
  return `${PREFIX}${keyId}:${sealedKey}:${sealedValue}`;
}

/** The plaintext of a value `seal` produced for the same context. */
export function open(keyring: Keyring, stored: string, context: string): string {
  const { keyId, sealedKey, sealedValue } = split(stored);
  const dataKey = decrypt(keyOf(keyring, keyId), sealedKey, dataKeyAad(keyId, context));
  return decrypt(dataKey, sealedValue, context).toString('utf8');
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** True when the value is sealed under a key other than the current one. */
export function needsRotation(keyring: Keyring, stored: string): boolean {
  return split(stored).keyId !== keyring.currentKeyId;
}

/**
 * The same value re-sealed under the current key: only its data key is decrypted and sealed
 * again, so the value's own ciphertext is unchanged.
 */
export function rotate(keyring: Keyring, stored: string, context: string): string {
  const { keyId, sealedKey, sealedValue } = split(stored);
  if (keyId === keyring.currentKeyId) return stored;
  const dataKey = decrypt(keyOf(keyring, keyId), sealedKey, dataKeyAad(keyId, context));
  // The value must still open with this data key; a mismatch means the parts were tampered with.
  decrypt(dataKey, sealedValue, context);
  const current = keyring.currentKeyId;
  return `${PREFIX}${current}:${encrypt(keyOf(keyring, current), dataKey, dataKeyAad(current, context))}:${sealedValue}`;
}

/** What a response shows of a sensitive value: its last four characters. */
export function mask(plaintext: string): string {
  const tail = plaintext.replace(/\s+/g, '').slice(-4);
  return `••••${tail}`;
}

// Outside production, with no keys configured, values are sealed under this fixed development key
// so the quick start runs offline; production refuses to start without DATA_ENCRYPTION_KEYS.
const DEVELOPMENT_KEYS = `dev:${Buffer.alloc(KEY_BYTES, 'ece-development-data-key').toString('base64')}`;

const keyrings = new Map<string, Keyring>();

/** The keyring `DATA_ENCRYPTION_KEYS` describes (the development key when unset), parsed once. */
export function keyringOf(config: { readonly DATA_ENCRYPTION_KEYS?: string | undefined }): Keyring {
  const spec = config.DATA_ENCRYPTION_KEYS ?? DEVELOPMENT_KEYS;
  let keyring = keyrings.get(spec);
  if (!keyring) {
    keyring = parseKeyring(spec);
    keyrings.set(spec, keyring);
  }
  return keyring;
}
