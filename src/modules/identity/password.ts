import { hash, parseOptions, verify, type Options as ArgonOptions } from '@node-rs/argon2';
import { ZxcvbnFactory, type MatchExtended } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import type { Config } from '../../config.ts';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** zxcvbn score 3: "safely unguessable", about 10^8 guesses or more. */
export const PASSWORD_MIN_SCORE = 3;

const zxcvbn = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });

// zxcvbn's feedback comes as translation keys; these are the ones worth a sentence.
const WARNINGS: Record<string, string> = {
  topTen: 'is one of the ten most used passwords',
  topHundred: 'is one of the hundred most used passwords',
  common: 'is a commonly used password',
  similarToCommon: 'is too similar to a commonly used password',
  keyPattern: 'is a keyboard pattern',
  straightRow: 'is a row of keys',
  simpleRepeat: 'repeats characters',
  extendedRepeat: 'repeats a pattern',
  sequences: 'is a common character sequence',
  recentYears: 'uses a recent year',
  dates: 'uses a date',
  userInputs: 'contains your email or username',
};

const isCommonPassword = (sequence: MatchExtended[], length: number) =>
  sequence.length === 1 &&
  sequence[0]?.pattern === 'dictionary' &&
  sequence[0].dictionaryName === 'passwords-common' &&
  sequence[0].token.length === length;

export interface PasswordVerdict {
  ok: boolean;
  reason: string;
  suggestions: string[];
}

/**
 * Strength rules (no composition rules): reject passwords from the common-password list and
 * anything scored below PASSWORD_MIN_SCORE, counting the user's own email and username as known
 * words. Length is checked by the request schema.
 */
export function checkPasswordStrength(password: string, userInputs: string[] = []): PasswordVerdict {
  const result = zxcvbn.check(password, userInputs.filter(Boolean));
  if (isCommonPassword(result.sequence, password.length)) {
    return { ok: false, reason: 'is a commonly used password', suggestions: ['Use a few uncommon words together'] };
  }
  if (result.score >= PASSWORD_MIN_SCORE) return { ok: true, reason: '', suggestions: [] };
  const warning = result.feedback.warning ? WARNINGS[result.feedback.warning] : undefined;
  return {
    ok: false,
    reason: warning ?? 'is too easy to guess',
    suggestions: ['Use a longer passphrase of a few uncommon words'],
  };
}

/** Passwords are compared as NFKC so the same visible text always hashes the same. */
export const normalizePassword = (password: string) => password.normalize('NFKC');

export type HashParams = Pick<Config, 'ARGON2_MEMORY_KIB' | 'ARGON2_TIME_COST' | 'ARGON2_PARALLELISM'>;

/** OWASP's minimum for argon2id; the config schema refuses anything lower. */
export const MIN_HASH_PARAMS: HashParams = { ARGON2_MEMORY_KIB: 19_456, ARGON2_TIME_COST: 2, ARGON2_PARALLELISM: 1 };

// Algorithm.Argon2id: a const enum the compiler cannot inline across packages.
const ARGON2ID = 2;

/** Hashes and verifies passwords with argon2id at the configured (floor-checked) parameters. */
export class PasswordHasher {
  private readonly options: ArgonOptions;
  private dummy: Promise<string> | undefined;

  constructor(params: HashParams) {
    this.options = {
      algorithm: ARGON2ID,
      memoryCost: params.ARGON2_MEMORY_KIB,
      timeCost: params.ARGON2_TIME_COST,
      parallelism: params.ARGON2_PARALLELISM,
    };
  }

  hash(password: string): Promise<string> {
    return hash(normalizePassword(password), this.options);
  }

  /**
   * Verifies `password` against `stored`; with no stored hash (unknown or deleted account) it
   * still spends one verification on a dummy hash, so timing does not reveal which accounts exist.
   */
  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    if (!stored) {
      this.dummy ??= this.hash('not-a-real-password-only-for-timing');
      await verify(await this.dummy, normalizePassword(password)).catch(() => false);
      return false;
    }
    return verify(stored, normalizePassword(password)).catch(() => false);
  }

  /** Whether a stored hash was made with weaker parameters than today's and should be redone. */
  needsRehash(stored: string): boolean {
    try {
      const p = parseOptions(stored);
      return (
        p.algorithm !== ARGON2ID ||
        p.memoryCost < (this.options.memoryCost ?? 0) ||
        p.timeCost < (this.options.timeCost ?? 0) ||
        p.parallelism !== this.options.parallelism
      );
    } catch {
      return true;
    }
  }
}
