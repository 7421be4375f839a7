import { uuidv7 } from 'uuidv7';
import type { Seeder } from '../../platform/db/seed.ts';
import type { Db } from '../../platform/db/tx.ts';
import { DEMO_SEED, demoCatalog } from './demo-data.ts';
import { FairStream } from './fair.ts';
import { addMinted, insertProduct, listProducts } from './pack-repo.ts';
import { normaliseWeights } from './pack-table.ts';
import {
  COIN,
  DEMO_ACCOUNTS,
  SYSTEM_ACCOUNTS,
  ensureWallet,
  findUserRef,
  registerAsset,
  transfer,
  type Leg,
} from './ports.ts';
import { VARIANTS, packAssetCode, variantAssetCode, variantLevel } from './rarity.ts';
import { listCards } from './list-repo.ts';
import * as repo from './repo.ts';

/** Six sets, 330 cards with their variants (ledger assets) and three pack products. */
export const demoCatalogSeeder: Seeder = {
  name: 'cards.demo-catalog',
  demo: true,
  async run(tx) {
    const { sets, packs } = demoCatalog();
    const setIds = new Map<string, string>();
    for (const s of sets) {
      const set = await repo.insertSet(tx, {
        id: uuidv7(),
        code: s.code,
        name: s.name,
        description: s.description,
        releaseDate: s.releaseDate,
      });
      if (!set) throw new Error(`demo set ${s.code} already exists`);
      setIds.set(s.code, set.id);
      const cards = s.cards.map((c) => ({
        id: uuidv7(),
        setId: set.id,
        number: c.number,
        name: c.name,
        rarity: c.rarity,
        element: c.element,
        stats: c.stats,
        text: c.text,
        artUrl: c.artUrl,
        maxSupply: c.maxSupply === null ? null : BigInt(c.maxSupply),
        maxLevel: VARIANTS.length - 1,
        price: BigInt(c.price),
      }));
      await repo.insertCards(tx, cards, set);
      const variants = cards.flatMap((c) =>
        VARIANTS.map((v) => {
          const id = uuidv7();
          return { id, cardId: c.id, level: variantLevel(v), asset: variantAssetCode(id) };
        }),
      );
      await repo.insertVariants(tx, variants);
      for (const v of variants) await registerAsset(tx, v.asset, 'card');
    }
    for (const p of packs) {
      const id = uuidv7();
      const asset = packAssetCode(id);
      await registerAsset(tx, asset, 'card');
      await insertProduct(tx, {
        id,
        name: p.name,
        description: p.description,
        price: BigInt(p.price),
        setIds: p.setCodes.map((code) => setIds.get(code) ?? ''),
        slots: p.slots.map((s) => ({ weights: normaliseWeights(s.weights) })),
        pityRarity: p.pity?.rarity ?? null,
        pityPacks: p.pity?.packs ?? null,
        asset,
      });
    }
  },
};

const DEMO_COINS = 100_000n;
const LEGS_PER_TRANSFER = 60;

async function transferInChunks(tx: Db, kind: string, legs: Leg[]) {
  for (let i = 0; i < legs.length; i += LEGS_PER_TRANSFER) {
    await transfer(tx, { kind, legs: legs.slice(i, i + LEGS_PER_TRANSFER) });
  }
}

/**
 * Coins, sealed packs and a starting collection for the demo accounts, all through the ledger. The
 * cards each account gets come from the fixed demo seed, so every install looks the same.
 */
export const demoCollectionsSeeder: Seeder = {
  name: 'cards.demo-collections',
  demo: true,
  async run(tx) {
    const catalog = await listCards(tx, { includeRetired: false }, { key: 'newest', desc: false }, undefined, 10_000);
    const variants = await repo.variantsOf(
      tx,
      catalog.map((c) => c.id),
    );
    const base = new Map(variants.filter((v) => v.level === 0).map((v) => [v.cardId, v]));
    const uncapped = catalog.filter((c) => c.maxSupply === null);
    const packs = new Map((await listProducts(tx, false)).map((p) => [p.name, p]));
    for (const account of DEMO_ACCOUNTS) {
      const user = await findUserRef(tx, account.username);
      if (!user) continue;
      const wallet = await ensureWallet(tx, user.id);
      const legs: Leg[] = [{ from: SYSTEM_ACCOUNTS.gateway, to: wallet, asset: COIN, amount: DEMO_COINS }];
      for (const [name, count] of [
        ['Booster Pack', 3n],
        ['Starter Pack', 2n],
      ] as const) {
        const product = packs.get(name);
        if (product) legs.push({ from: SYSTEM_ACCOUNTS.mint, to: wallet, asset: product.asset, amount: count });
      }
      await transfer(tx, { kind: 'demo.grant', legs });
      if (account.role !== 'user') continue;

      const rng = new FairStream(DEMO_SEED, `demo-collection:${account.username}`, 0, 0);
      const copies = new Map<string, bigint>();
      for (let i = 0; i < 60; i++) {
        const card = uncapped[rng.nextInt(uncapped.length)];
        if (card)
          copies.set(card.id, (copies.get(card.id) ?? 0n) + BigInt(1 + rng.nextInt(card.rarityRank < 2 ? 4 : 1)));
      }
      const cardLegs: Leg[] = [];
      for (const [cardId, n] of copies) {
        const v = base.get(cardId);
        if (!v || !(await addMinted(tx, v.id, n))) continue;
        cardLegs.push({ from: SYSTEM_ACCOUNTS.mint, to: wallet, asset: v.asset, amount: n });
      }
      await transferInChunks(tx, 'demo.grant', cardLegs);
    }
  },
};
