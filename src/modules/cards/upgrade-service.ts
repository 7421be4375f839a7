import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../platform/cache/cache.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { CATALOG_PREFIX, cachedJson, type CachedJson } from './cache.ts';
import { CardNotFoundError, CommitmentChangedError, NotEnoughCopiesError, UpgradeUnavailableError } from './errors.ts';
import { FAIRNESS_ALGORITHM, canonicalJson, commitmentHash, rollUpgrade, sha256Hex } from './fair.ts';
import { useNonce } from './fairness-repo.ts';
import { activeSeed } from './fairness-service.ts';
import { CARDS_EVENTS } from './open-service.ts';
import { addMinted } from './pack-repo.ts';
import { COIN, InsufficientFundsError, ensureWallet, systemShard, transfer, type Leg } from './ports.ts';
import { VARIANTS, variantLevel, type Variant } from './rarity.ts';
import { findCard, variantsOf } from './repo.ts';
import { insertUpgrade } from './upgrade-repo.ts';
import { upgradeRecipe, upgradeRecipes, type UpgradeRecipe } from './upgrades.ts';

/** Stands in for the drop table in an upgrade's commitment (its pity counter is always 0). */
export const hashRecipe = (r: UpgradeRecipe) => sha256Hex(canonicalJson(r));

export const ON_FAILURE = 'The copies and the fee are consumed; nothing is minted.';

/** Recipes and odds of a card, published before anyone upgrades. */
export function upgradeInfo(db: Db, cache: Cache, cardId: string): Promise<CachedJson> {
  return cachedJson(cache, `${CATALOG_PREFIX}upgrade:${cardId}`, async () => {
    const card = await findCard(db, cardId);
    if (!card) throw new CardNotFoundError();
    return {
      cardId,
      rarity: card.rarity,
      maxLevel: card.maxLevel,
      onFailure: ON_FAILURE,
      recipes: upgradeRecipes(card.rarity, card.maxLevel).map((r) => ({
        ...r,
        successChance: r.successBps / 10_000,
        hash: hashRecipe(r),
      })),
    };
  });
}

/**
 * One upgrade attempt in one transaction: burns the copies and the fee, rolls with the user's
 * provably fair stream (the commitment for an upgrade binds the seed, client seed and nonce; its
 * drop-table part is the recipe) and, on success, mints one copy of the next level.
 */
export async function upgradeCard(db: Db, userId: string, cardId: string, from: Variant, expectedCommitment?: string) {
  return withTransaction(db, async (tx) => {
    const card = await findCard(tx, cardId);
    if (!card) throw new CardNotFoundError();
    const recipe = upgradeRecipe(card.rarity, from, card.maxLevel);
    if (!recipe) throw new UpgradeUnavailableError(`The ${from} variant of this card cannot be upgraded`);
    const variants = await variantsOf(tx, [cardId]);
    const source = variants.find((v) => v.level === variantLevel(from));
    const target = variants.find((v) => v.level === variantLevel(recipe.to));
    if (!source || !target) throw new Error(`card ${cardId} lacks variant rows`);

    const seed = await activeSeed(tx, userId, true);
    const recipeHash = hashRecipe(recipe);
    const commitment = commitmentHash({ ...seed, dropTableHash: recipeHash, pityCounter: 0 });
    if (expectedCommitment !== undefined && expectedCommitment !== commitment) {
      throw new CommitmentChangedError(commitment);
    }
    const { roll, success } = rollUpgrade(seed.serverSeed, seed.clientSeed, seed.nonce, recipe.successBps);
    const wallet = await ensureWallet(tx, userId);
    const legs: Leg[] = [
      { from: wallet, to: systemShard('mint', userId), asset: source.asset, amount: recipe.copies },
      ...(recipe.fee > 0n ? [{ from: wallet, to: systemShard('fees', userId), asset: COIN, amount: recipe.fee }] : []),
      ...(success ? [{ from: systemShard('mint', userId), to: wallet, asset: target.asset, amount: 1n }] : []),
    ];
    const moved = await transfer(tx, {
      kind: 'cards.upgrade',
      reference: cardId,
      legs,
      audit: { actor: { type: 'user', id: userId } },
    }).catch((err: unknown) => {
      if (err instanceof InsufficientFundsError && err.extra.asset === source.asset) {
        throw new NotEnoughCopiesError(recipe.copies, BigInt(String(err.extra.available)));
      }
      throw err;
    });
    if (success && !(await addMinted(tx, target.id, 1n))) throw new Error('upgrade mint refused');
    if (!(await useNonce(tx, seed.id, seed.nonce))) throw new Error('seed nonce moved under lock');
    const row = await insertUpgrade(tx, {
      id: uuidv7(),
      userId,
      cardId,
      fromLevel: source.level,
      toLevel: target.level,
      copies: recipe.copies,
      fee: recipe.fee,
      successBps: recipe.successBps,
      roll,
      success,
      seedId: seed.id,
      nonce: seed.nonce,
      clientSeed: seed.clientSeed,
      serverSeedHash: seed.serverSeedHash,
      transferId: moved.id,
    });
    await recordEvent(tx, {
      type: CARDS_EVENTS.upgraded,
      aggregateType: 'cards.upgrade',
      aggregateId: row.id,
      payload: { userId, upgradeId: row.id, cardId, from: recipe.from, to: recipe.to, success },
    });
    return {
      id: row.id,
      cardId,
      from: recipe.from,
      to: VARIANTS[target.level] ?? recipe.to,
      success,
      roll,
      successBps: recipe.successBps,
      copiesBurned: recipe.copies,
      fee: recipe.fee,
      createdAt: row.createdAt.toISOString(),
      proof: {
        serverSeedHash: seed.serverSeedHash,
        clientSeed: seed.clientSeed,
        nonce: seed.nonce,
        dropTableHash: recipeHash,
        pityCounter: null,
        commitment,
        algorithm: FAIRNESS_ALGORITHM,
      },
    };
  });
}
