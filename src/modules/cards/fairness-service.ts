import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { dropTableHash } from './draw.ts';
import { OpeningNotFoundError, SeedNotRevealedError } from './errors.ts';
import { FAIRNESS_ALGORITHM, HOW_TO_VERIFY, SERVER_SEED_BYTES, commitmentHash, hashServerSeed } from './fair.ts';
import * as seeds from './fairness-repo.ts';
import * as packRepo from './pack-repo.ts';
import { currentDropTables } from './pack-table.ts';
import { upgradeById } from './upgrade-repo.ts';
import { verifyOpening, verifyUpgrade } from './verify.ts';

const DEFAULT_CLIENT_SEED = () => randomBytes(12).toString('base64url');

/** The user's active seed, created on first use; locked when `lock` is set. */
export async function activeSeed(db: Db, userId: string, lock: boolean): Promise<seeds.SeedRow> {
  const existing = await seeds.activeSeed(db, userId, lock);
  if (existing) return existing;
  await seeds.insertSeed(db, newSeed(userId, DEFAULT_CLIENT_SEED()));
  const created = await seeds.activeSeed(db, userId, lock);
  if (!created) throw new Error('active seed missing after insert');
  return created;
}

function newSeed(userId: string, clientSeed: string) {
  const serverSeed = randomBytes(SERVER_SEED_BYTES).toString('hex');
  return { id: uuidv7(), userId, serverSeed, serverSeedHash: hashServerSeed(serverSeed), clientSeed };
}

const seedView = (s: seeds.SeedRow) => ({
  serverSeedHash: s.serverSeedHash,
  clientSeed: s.clientSeed,
  nonce: s.nonce,
  createdAt: s.createdAt.toISOString(),
});

/**
 * What the next opening of each product will be bound to: the hash of the server seed, the client
 * seed and nonce, the hash of the product's exact drop table and the user's pity counter, and the
 * one commitment hash over all of them (send it with the opening to refuse any change).
 */
export async function commitment(db: Db, userId: string) {
  return withTransaction(db, async (tx) => {
    const seed = await activeSeed(tx, userId, false);
    const counters = await packRepo.pityCountersOf(tx, userId);
    const packs = [];
    for (const { product, table } of await currentDropTables(tx, await packRepo.listProducts(tx, false))) {
      const hash = dropTableHash(table);
      const pityCounter = counters.get(product.id) ?? 0;
      packs.push({
        packId: product.id,
        name: product.name,
        dropTableHash: hash,
        pityCounter,
        commitment: commitmentHash({ ...seed, dropTableHash: hash, pityCounter }),
      });
    }
    return { ...seedView(seed), algorithm: FAIRNESS_ALGORITHM, packs };
  });
}

/** Sets the client seed of the active seed; later draws use it. */
export async function setClientSeed(db: Db, userId: string, clientSeed: string) {
  await withTransaction(db, async (tx) => {
    const seed = await activeSeed(tx, userId, true);
    await seeds.setClientSeed(tx, seed.id, clientSeed);
  });
  return commitment(db, userId);
}

/** Reveals the active server seed (its openings become verifiable) and starts a new one. */
export async function rotate(db: Db, userId: string) {
  return withTransaction(db, async (tx) => {
    const current = await activeSeed(tx, userId, true);
    const revealed = await seeds.revealSeed(tx, current.id);
    if (!revealed) throw new Error('active seed vanished under lock');
    await seeds.insertSeed(tx, newSeed(userId, revealed.clientSeed));
    const next = await activeSeed(tx, userId, false);
    return {
      revealed: {
        ...seedView(revealed),
        serverSeed: revealed.serverSeed,
        revealedAt: (revealed.revealedAt ?? new Date()).toISOString(),
      },
      next: seedView(next),
    };
  });
}

async function revealedSeedOf(db: Db, seedId: string) {
  const seed = await seeds.findSeed(db, seedId);
  if (!seed?.revealedAt) throw new SeedNotRevealedError();
  return seed;
}

/**
 * Recomputes an opening (or an upgrade roll) from its revealed seed and stored inputs. Only the
 * owner or `mayReadAny` callers see it; others get 404 so ids do not leak.
 */
export async function verify(db: Db, userId: string, id: string, mayReadAny: boolean) {
  const opening = await packRepo.findOpening(db, id);
  if (opening && (opening.userId === userId || mayReadAny)) {
    const seed = await revealedSeedOf(db, opening.seedId);
    const proof = {
      serverSeed: seed.serverSeed,
      serverSeedHash: opening.serverSeedHash,
      clientSeed: opening.clientSeed,
      nonce: opening.nonce,
      table: opening.dropTable,
      dropTableHash: opening.dropTableHash,
      pityCounter: opening.pityBefore,
      supply: opening.supply,
      pulls: opening.pulls,
      pityApplied: opening.pityApplied,
    };
    const result = verifyOpening(proof);
    return {
      kind: 'opening' as const,
      id,
      valid: result.valid,
      checks: { ...result.checks, rollMatches: null },
      algorithm: FAIRNESS_ALGORITHM,
      howToVerify: HOW_TO_VERIFY,
      serverSeed: seed.serverSeed,
      serverSeedHash: opening.serverSeedHash,
      clientSeed: opening.clientSeed,
      nonce: opening.nonce,
      opening: {
        dropTableHash: opening.dropTableHash,
        dropTable: opening.dropTable,
        pityCounter: opening.pityBefore,
        pityApplied: opening.pityApplied,
        supply: opening.supply,
        pulls: opening.pulls,
        recomputed: result.recomputed,
      },
      upgrade: null,
    };
  }
  const upgrade = await upgradeById(db, id);
  if (!upgrade || (upgrade.userId !== userId && !mayReadAny)) throw new OpeningNotFoundError();
  const seed = await revealedSeedOf(db, upgrade.seedId);
  const result = verifyUpgrade({ ...upgrade, serverSeed: seed.serverSeed });
  return {
    kind: 'upgrade' as const,
    id,
    valid: result.valid,
    checks: { ...result.checks, dropTableMatchesCommitment: null, pullsMatch: null },
    algorithm: FAIRNESS_ALGORITHM,
    howToVerify: HOW_TO_VERIFY,
    serverSeed: seed.serverSeed,
    serverSeedHash: upgrade.serverSeedHash,
    clientSeed: upgrade.clientSeed,
    nonce: upgrade.nonce,
    opening: null,
    upgrade: { successBps: upgrade.successBps, roll: upgrade.roll, success: upgrade.success },
  };
}
