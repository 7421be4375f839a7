import { uuidv7 } from 'uuidv7';
import { afterCommit, withTransaction, type Db } from '../../platform/db/tx.ts';
import { business } from '../../platform/metrics/metrics.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { drawPack, dropTableHash, SoldOutError, supplyTaken } from './draw.ts';
import {
  CommitmentChangedError,
  PackNotFoundError,
  PackNotOwnedError,
  PackRetiredError,
  PackSoldOutError,
} from './errors.ts';
import { FAIRNESS_ALGORITHM, commitmentHash } from './fair.ts';
import { useNonce } from './fairness-repo.ts';
import { activeSeed } from './fairness-service.ts';
import * as repo from './pack-repo.ts';
import { currentDropTable, supplyOf } from './pack-table.ts';
import {
  COIN,
  InsufficientFundsError,
  balances,
  systemShard,
  ensureWallet,
  transfer,
  walletAccountId,
  type Leg,
} from './ports.ts';
import { findCards, variantsOf } from './repo.ts';
import { cardView } from './views.ts';

export const CARDS_EVENTS = {
  packPurchased: 'cards.pack_purchased',
  packOpened: 'cards.pack_opened',
  upgraded: 'cards.upgraded',
  /** Cards left circulation (a card or a whole set retired): open market orders on them close. */
  retired: 'cards.retired',
  /** A user's wishlist changed (payload `{ userId }`): recorded with the change. */
  wishlistChanged: 'cards.wishlist_changed',
} as const;

const actor = (userId: string) => ({ actor: { type: 'user' as const, id: userId } });

/** Buys `quantity` sealed packs: coins to `fees`, packs from the mint, one ledger transfer. */
export async function purchasePack(db: Db, userId: string, packId: string, quantity: number) {
  return withTransaction(db, async (tx) => {
    const product = await repo.findProduct(tx, packId);
    if (!product) throw new PackNotFoundError();
    if (product.retiredAt) throw new PackRetiredError();
    const wallet = await ensureWallet(tx, userId);
    const paid = product.price * BigInt(quantity);
    const moved = await transfer(tx, {
      kind: 'cards.pack_purchase',
      reference: product.id,
      legs: [
        { from: wallet, to: systemShard('fees', userId), asset: COIN, amount: paid },
        { from: systemShard('mint', userId), to: wallet, asset: product.asset, amount: BigInt(quantity) },
      ],
      audit: actor(userId),
    });
    const [owned] = await balances(tx, wallet, product.asset);
    await recordEvent(tx, {
      type: CARDS_EVENTS.packPurchased,
      aggregateType: 'cards.pack',
      aggregateId: product.id,
      payload: { userId, packId: product.id, quantity, paid: paid.toString(), transferId: moved.id },
    });
    return { packId: product.id, quantity, paid, packsOwned: owned?.total ?? 0n, transferId: moved.id };
  });
}

/**
 * Opens one owned pack in one transaction: locks the user's seed (one opening at a time per user)
 * and the print runs the pack may draw from, draws with the committed inputs, burns the pack and
 * mints the cards through the ledger, stores the opening with its proof inputs and moves the pity
 * counter. Anything failing (no pack, sold out, changed commitment) rolls all of it back.
 */
export async function openPack(db: Db, userId: string, packId: string, expectedCommitment?: string) {
  return withTransaction(db, async (tx) => {
    const product = await repo.findProduct(tx, packId);
    if (!product) throw new PackNotFoundError();
    const seed = await activeSeed(tx, userId, true);
    const pityBefore = await repo.pityCounter(tx, userId, product.id);
    const table = await currentDropTable(tx, product);
    const tableHash = dropTableHash(table);
    const commitment = commitmentHash({ ...seed, dropTableHash: tableHash, pityCounter: pityBefore });
    if (expectedCommitment !== undefined && expectedCommitment !== commitment) {
      throw new CommitmentChangedError(commitment);
    }
    const { supply } = await supplyOf(tx, table, true);
    let draw;
    try {
      draw = drawPack({
        serverSeed: seed.serverSeed,
        clientSeed: seed.clientSeed,
        nonce: seed.nonce,
        table,
        pityCounter: pityBefore,
        supply,
      });
    } catch (err) {
      if (err instanceof SoldOutError) throw new PackSoldOutError();
      throw err;
    }

    const cardIds = draw.pulls.map((p) => p.cardId);
    const pulledVariants = new Map(
      (await variantsOf(tx, [...new Set(cardIds)])).filter((v) => v.level === 0).map((v) => [v.cardId, v]),
    );
    const minted = new Map<string, { asset: string; variantId: string; count: bigint }>();
    for (const cardId of cardIds) {
      const v = pulledVariants.get(cardId);
      if (!v) throw new Error(`card ${cardId} has no base variant`);
      const entry = minted.get(v.asset) ?? { asset: v.asset, variantId: v.id, count: 0n };
      entry.count += 1n;
      minted.set(v.asset, entry);
    }
    const wallet = walletAccountId(userId);
    await ensureWallet(tx, userId);
    const legs: Leg[] = [
      { from: wallet, to: systemShard('mint', userId), asset: product.asset, amount: 1n },
      ...[...minted.values()].map((m) => ({
        from: systemShard('mint', userId),
        to: wallet,
        asset: m.asset,
        amount: m.count,
      })),
    ];
    const moved = await transfer(tx, {
      kind: 'cards.pack_open',
      reference: product.id,
      legs,
      audit: actor(userId),
    }).catch((err: unknown) => {
      throw err instanceof InsufficientFundsError ? new PackNotOwnedError() : err;
    });
    for (const m of minted.values()) {
      if (!(await repo.addMinted(tx, m.variantId, m.count))) throw new PackSoldOutError();
    }
    if (!(await useNonce(tx, seed.id, seed.nonce))) throw new Error('seed nonce moved under lock');
    await repo.setPityCounter(tx, userId, product.id, draw.pityAfter);
    afterCommit(tx, () => business.packOpenings.inc());
    const opening = await repo.insertOpening(
      tx,
      {
        id: uuidv7(),
        userId,
        productId: product.id,
        seedId: seed.id,
        nonce: seed.nonce,
        clientSeed: seed.clientSeed,
        serverSeedHash: seed.serverSeedHash,
        dropTable: table,
        dropTableHash: tableHash,
        pityBefore,
        pityAfter: draw.pityAfter,
        pityApplied: draw.pityApplied,
        supply,
        pulls: draw.pulls,
        transferId: moved.id,
      },
      draw.pulls,
    );
    await recordEvent(tx, {
      type: CARDS_EVENTS.packOpened,
      aggregateType: 'cards.opening',
      aggregateId: opening.id,
      payload: { userId, openingId: opening.id, packId: product.id, cards: draw.pulls },
    });

    const rows = new Map((await findCards(tx, cardIds)).map((r) => [r.id, r]));
    const allVariants = await variantsOf(tx, [...rows.keys()]);
    return {
      // Print runs moved: the published odds of packs changed, so their cached copies must go.
      tookCapped: supplyTaken(table, draw.pulls).size > 0,
      reply: {
        id: opening.id,
        packId: product.id,
        cards: draw.pulls.map((p) => {
          const row = rows.get(p.cardId);
          if (!row) throw new Error(`pulled card ${p.cardId} vanished`);
          return { slot: p.slot, variant: 'base' as const, card: cardView(row, allVariants) };
        }),
        pityApplied: draw.pityApplied,
        pityBefore,
        pityAfter: draw.pityAfter,
        createdAt: opening.createdAt.toISOString(),
        proof: {
          serverSeedHash: seed.serverSeedHash,
          clientSeed: seed.clientSeed,
          nonce: seed.nonce,
          dropTableHash: tableHash,
          pityCounter: pityBefore,
          commitment,
          algorithm: FAIRNESS_ALGORITHM,
        },
      },
    };
  });
}
