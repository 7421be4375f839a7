import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { PACKS_PREFIX, cachedJson, invalidatePacks, type CachedJson } from './cache.ts';
import type { CatalogDeps } from './catalog-service.ts';
import { dropTableHash, type RarityWeights } from './draw.ts';
import { DuplicateError, InvalidFieldError, PackInUseError, PackNotFoundError } from './errors.ts';
import { publishedOdds } from './odds.ts';
import * as repo from './pack-repo.ts';
import type { PackCreate, PackUpdate } from './pack-schemas.ts';
import { currentDropTable, normaliseWeights, supplyOf } from './pack-table.ts';
import { registerAsset, systemBalance } from './ports.ts';
import { packAssetCode, rarityRank, type Rarity } from './rarity.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';

async function productView(db: Db, row: repo.ProductRow, withCards: boolean) {
  const table = await currentDropTable(db, row);
  const { supply } = await supplyOf(db, table, false);
  const { cards, ...odds } = publishedOdds(table, supply);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    setIds: row.setIds,
    slots: table.slots,
    pity: table.pity,
    asset: row.asset,
    retired: row.retiredAt !== null,
    dropTableHash: dropTableHash(table),
    odds: withCards ? { ...odds, cards } : odds,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Rules the schema cannot state: every slot can draw, the pity rarity is reachable, sets exist. */
async function checkDefinition(
  db: Db,
  def: { slots: { weights: RarityWeights }[]; pity: { rarity: Rarity } | null; setIds: string[] },
) {
  def.slots.forEach((s, i) => {
    if (Object.values(normaliseWeights(s.weights)).length === 0) {
      throw new InvalidFieldError(`body.slots.${i}.weights`, 'needs at least one positive weight');
    }
  });
  const last = def.slots.at(-1);
  if (def.pity && last) {
    const floor = rarityRank(def.pity.rarity);
    const reachable = Object.entries(normaliseWeights(last.weights)).some(([r]) => rarityRank(r as Rarity) >= floor);
    if (!reachable) throw new InvalidFieldError('body.pity.rarity', 'the last slot never draws this rarity or better');
  }
  const known = await repo.existingSetIds(db, def.setIds);
  const unknown = def.setIds.find((id) => !known.has(id));
  if (unknown) throw new InvalidFieldError('body.setIds', `no set has id ${unknown}`);
}

const nameTaken = (name: string | undefined) => (err: unknown) => {
  throw isUniqueViolation(err) ? new DuplicateError('pack_name_taken', `A pack named ${name} already exists`) : err;
};

export async function createPack(deps: CatalogDeps, body: PackCreate) {
  const id = uuidv7();
  const row = await withTransaction(deps.db, async (tx) => {
    const def = { slots: body.slots, pity: body.pity ?? null, setIds: body.setIds ?? [] };
    await checkDefinition(tx, def);
    const asset = packAssetCode(id);
    await registerAsset(tx, asset, 'card');
    const inserted = await repo
      .insertProduct(tx, {
        id,
        name: body.name,
        description: body.description ?? '',
        price: BigInt(body.price),
        setIds: def.setIds,
        slots: def.slots.map((s) => ({ weights: normaliseWeights(s.weights) })),
        pityRarity: def.pity?.rarity ?? null,
        pityPacks: body.pity?.packs ?? null,
        asset,
      })
      .catch(nameTaken(body.name));
    if (!inserted) throw new DuplicateError('pack_name_taken', `A pack named ${body.name} already exists`);
    return inserted;
  });
  await invalidatePacks(deps.cache);
  return productView(deps.db, row, true);
}

export async function updatePack(deps: CatalogDeps, id: string, body: PackUpdate) {
  const row = await withTransaction(deps.db, async (tx) => {
    const current = await repo.findProduct(tx, id);
    if (!current) throw new PackNotFoundError();
    const slots = body.slots ?? current.slots;
    const pity =
      body.pity === undefined
        ? current.pityRarity && current.pityPacks
          ? { rarity: current.pityRarity, packs: current.pityPacks }
          : null
        : body.pity;
    const setIds = body.setIds ?? current.setIds;
    await checkDefinition(tx, { slots, pity, setIds });
    const { retired, price, ...fields } = body;
    return repo
      .updateProduct(tx, id, {
        ...fields,
        slots: slots.map((s) => ({ weights: normaliseWeights(s.weights) })),
        pityRarity: pity?.rarity ?? null,
        pityPacks: pity?.packs ?? null,
        setIds,
        ...(price === undefined ? {} : { price: BigInt(price) }),
        ...(retired === undefined ? {} : { retiredAt: retired ? (current.retiredAt ?? new Date()) : null }),
      })
      .catch(nameTaken(body.name));
  });
  if (!row) throw new PackNotFoundError();
  await invalidatePacks(deps.cache);
  return productView(deps.db, row, true);
}

/** Deletes a product never sold; otherwise 409 (retire it instead). */
export async function deletePack(deps: CatalogDeps, id: string): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const product = await repo.findProduct(tx, id);
    if (!product) throw new PackNotFoundError();
    if ((await systemBalance(tx, 'mint', product.asset)) !== 0n || (await repo.productWasOpened(tx, id)))
      throw new PackInUseError();
    await repo.deleteProduct(tx, id);
  });
  await invalidatePacks(deps.cache);
}

export function listPacks(deps: CatalogDeps, includeRetired: boolean): Promise<CachedJson> {
  return cachedJson(deps.cache, `${PACKS_PREFIX}list:${includeRetired}`, async () => {
    const rows = await repo.listProducts(deps.db, includeRetired);
    const items = [];
    for (const row of rows) items.push(await productView(deps.db, row, false));
    return { items };
  });
}

/** Price, slots and the exact published odds per rarity and per card, pity included. */
export function getPack(deps: CatalogDeps, id: string): Promise<CachedJson> {
  return cachedJson(deps.cache, `${PACKS_PREFIX}one:${id}`, async () => {
    const row = await repo.findProduct(deps.db, id);
    if (!row) throw new PackNotFoundError();
    return productView(deps.db, row, true);
  });
}
