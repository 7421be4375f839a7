import { drawPack, dropTableHash, SoldOutError, type DropTable, type Pull, type Supply } from './draw.ts';
import { hashServerSeed, rollUpgrade } from './fair.ts';

/** What an opening stored, plus the server seed revealed by rotation. */
export interface OpeningProof {
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: bigint | number;
  table: DropTable;
  dropTableHash: string;
  pityCounter: number;
  supply: Supply;
  pulls: readonly Pull[];
  pityApplied: boolean;
}

export interface Verification {
  valid: boolean;
  checks: {
    /** SHA-256 of the revealed seed equals the hash published before the opening. */
    serverSeedMatchesCommitment: boolean;
    /** The stored drop table hashes to the committed drop table hash. */
    dropTableMatchesCommitment: boolean;
    /** Recomputing the draw from the inputs gives exactly the stored pulls. */
    pullsMatch: boolean;
  };
  recomputed: Pull[];
}

const samePulls = (a: readonly Pull[], b: readonly Pull[]) =>
  a.length === b.length &&
  a.every((p, i) => p.slot === b[i]?.slot && p.rarity === b[i]?.rarity && p.cardId === b[i]?.cardId);

function seedMatches(serverSeed: string, serverSeedHash: string): boolean {
  try {
    return hashServerSeed(serverSeed) === serverSeedHash;
  } catch {
    return false;
  }
}

/** Recomputes an opening from its revealed seed and stored inputs and compares it with what was recorded. */
export function verifyOpening(proof: OpeningProof): Verification {
  const serverSeedMatchesCommitment = seedMatches(proof.serverSeed, proof.serverSeedHash);
  const dropTableMatchesCommitment = dropTableHash(proof.table) === proof.dropTableHash;
  let recomputed: Pull[] = [];
  let pityApplied = false;
  try {
    const draw = drawPack({
      serverSeed: proof.serverSeed,
      clientSeed: proof.clientSeed,
      nonce: proof.nonce,
      table: proof.table,
      pityCounter: proof.pityCounter,
      supply: proof.supply,
    });
    recomputed = draw.pulls;
    pityApplied = draw.pityApplied;
  } catch (err) {
    if (!(err instanceof SoldOutError || err instanceof RangeError)) throw err;
  }
  const pullsMatch = samePulls(recomputed, proof.pulls) && pityApplied === proof.pityApplied;
  return {
    valid: serverSeedMatchesCommitment && dropTableMatchesCommitment && pullsMatch,
    checks: { serverSeedMatchesCommitment, dropTableMatchesCommitment, pullsMatch },
    recomputed,
  };
}

export interface UpgradeProof {
  serverSeed: string;
  serverSeedHash: string;
  clientSeed: string;
  nonce: bigint | number;
  successBps: number;
  roll: number;
  success: boolean;
}

export function verifyUpgrade(proof: UpgradeProof) {
  const serverSeedMatchesCommitment = seedMatches(proof.serverSeed, proof.serverSeedHash);
  const recomputed = serverSeedMatchesCommitment
    ? rollUpgrade(proof.serverSeed, proof.clientSeed, proof.nonce, proof.successBps)
    : undefined;
  const rollMatches = recomputed?.roll === proof.roll && recomputed.success === proof.success;
  return { valid: serverSeedMatchesCommitment && rollMatches, checks: { serverSeedMatchesCommitment, rollMatches } };
}
