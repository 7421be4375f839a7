import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashServerSeed } from './fair.ts';
import { COIN, balances, systemBalance } from './ports.ts';
import {
  auth,
  balanceOf,
  createCatalog,
  createPack,
  createTestUser,
  expectStatus,
  grantCoins,
  startCardsApp,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/cards.ts';

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let basic: { id: string; asset: string };
let limited: { id: string; asset: string };
let pityPack: { id: string; asset: string };
let lastBasic: Opening | undefined;

type Opening = {
  id: string;
  cards: { slot: number; card: { id: string; rarity: string } }[];
  pityApplied: boolean;
  pityBefore: number;
  pityAfter: number;
  proof: { serverSeedHash: string; nonce: number; commitment: string; dropTableHash: string };
};

const post = (url: string, user: CreatedTestUser, payload: object = {}, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers: { ...auth(user), ...headers }, payload });
const get = (url: string, user?: CreatedTestUser) =>
  t.app.inject({ method: 'GET', url, headers: user ? auth(user) : {} });
const buy = (user: CreatedTestUser, packId: string, quantity = 1) =>
  post(`/api/packs/${packId}/purchase`, user, { quantity });
const open = (user: CreatedTestUser, packId: string, commitment?: string) =>
  post('/api/packs/open', user, commitment ? { packId, commitment } : { packId });
const coinsOf = async (accountId: string) => (await balances(t.runtime.ctx.db, accountId, COIN))[0]?.total ?? 0n;

beforeAll(async () => {
  t = await startCardsApp();
  [admin, alice, bob] = await Promise.all([createTestUser(t, { role: 'admin' }), createTestUser(t), createTestUser(t)]);
  const main = await createCatalog(t, admin, { code: 'CORE', name: 'Core' }, [
    ...['Ash', 'Birch', 'Cedar', 'Dune', 'Elm', 'Fern'].map((n) => ({ name: n, rarity: 'common' as const })),
    ...['Gale', 'Hail', 'Iris'].map((n) => ({ name: n, rarity: 'rare' as const })),
    ...['Jade', 'Kite'].map((n) => ({ name: n, rarity: 'epic' as const })),
  ]);
  const lim = await createCatalog(t, admin, { code: 'LIM', name: 'Limited' }, [
    { name: 'Lone Star', rarity: 'mythic', maxSupply: 2 },
  ]);
  basic = await createPack(t, admin, {
    name: 'Basic',
    price: 500,
    setIds: [main.setId],
    slots: [{ weights: { common: 900, rare: 100 } }, { weights: { rare: 900, epic: 100 } }],
    pity: { rarity: 'epic', packs: 5 },
  });
  pityPack = await createPack(t, admin, {
    name: 'Pity test',
    price: 100,
    setIds: [main.setId],
    slots: [{ weights: { common: 1_000_000, epic: 1 } }],
    pity: { rarity: 'epic', packs: 3 },
  });
  limited = await createPack(t, admin, {
    name: 'Limited',
    price: 100,
    setIds: [lim.setId],
    slots: [{ weights: { mythic: 1 } }],
  });
  await grantCoins(t.runtime.ctx.db, alice.id, 20_000n);
});
afterAll(() => t?.close());

describe('pack products', () => {
  it('publish price, slots, drop table hash and odds that add up', async () => {
    const pack = expectStatus(await get(`/api/packs/${basic.id}`), 200).json();
    expect(pack).toMatchObject({ name: 'Basic', price: 500, pity: { rarity: 'epic', packs: 5 }, retired: false });
    expect(pack.dropTableHash).toMatch(/^[0-9a-f]{64}$/);
    expect(pack.odds.slots[1].rarities).toEqual([
      { rarity: 'rare', weight: 900, probability: 0.9 },
      { rarity: 'epic', weight: 100, probability: 0.1 },
    ]);
    expect(pack.odds.pitySlot.rarities).toEqual([{ rarity: 'epic', weight: 100, probability: 1 }]);
    expect(pack.odds.cards).toHaveLength(11);
    const epicCards = pack.odds.cards.filter((c: { rarity: string }) => c.rarity === 'epic');
    expect(epicCards[0].perPack).toBeCloseTo(0.05, 12);
    const list = expectStatus(await get('/api/packs'), 200).json();
    expect(list.items.map((p: { name: string }) => p.name)).toEqual(['Pity test', 'Limited', 'Basic']);
    expect(list.items[0].odds.cards).toBeUndefined();
  });

  it('refuses definitions that cannot work', async () => {
    const create = (payload: object) => post('/api/packs', admin, { name: 'X', price: 1, ...payload });
    const unreachable = await create({ slots: [{ weights: { common: 1 } }], pity: { rarity: 'epic', packs: 3 } });
    expect(expectStatus(unreachable, 400).json().errors[0].field).toBe('body.pity.rarity');
    const empty = await create({ slots: [{ weights: { common: 0 } }] });
    expect(expectStatus(empty, 400).json().errors[0].field).toBe('body.slots.0.weights');
    const unknownSet = await create({ slots: [{ weights: { common: 1 } }], setIds: [uuidv7()] });
    expect(expectStatus(unknownSet, 400).json().errors[0].field).toBe('body.setIds');
    const dup = await post('/api/packs', admin, { name: 'basic', price: 1, slots: [{ weights: { common: 1 } }] });
    expect(expectStatus(dup, 409).json().code).toBe('pack_name_taken');
    expectStatus(await post('/api/packs', alice, { name: 'Mine', price: 1, slots: [{ weights: { common: 1 } }] }), 403);
    expectStatus(await get(`/api/packs/${uuidv7()}`), 404);
  });
});

describe('POST /api/packs/:id/purchase', () => {
  it('pays coins to fees and grants sealed packs, or refuses without funds', async () => {
    const fees = await systemBalance(t.runtime.ctx.db, 'fees');
    expect(expectStatus(await buy(bob, basic.id), 409).json().code).toBe('insufficient_funds');
    const res = expectStatus(await buy(alice, basic.id, 3), 201).json();
    expect(res).toMatchObject({ packId: basic.id, quantity: 3, paid: 1500, packsOwned: 3 });
    expect(await systemBalance(t.runtime.ctx.db, 'fees')).toBe(fees + 1500n);
    expect(await coinsOf(alice.id)).toBe(18_500n);
    expectStatus(await buy(alice, uuidv7()), 404);
    const unverified = await createTestUser(t, { verified: false });
    expect(expectStatus(await buy(unverified, basic.id), 403).json().code).toBe('email_not_verified');
    expectStatus(await buy(alice, basic.id, 0), 400);
  });

  it('replays a retried purchase with the same Idempotency-Key instead of charging twice', async () => {
    const key = { 'idempotency-key': `buy-${uuidv7()}` };
    const first = expectStatus(await post(`/api/packs/${pityPack.id}/purchase`, alice, { quantity: 6 }, key), 201);
    const again = expectStatus(await post(`/api/packs/${pityPack.id}/purchase`, alice, { quantity: 6 }, key), 201);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await balanceOf(t.runtime.ctx.db, alice.id, pityPack.asset)).toBe(6n);
    const reused = await post(`/api/packs/${pityPack.id}/purchase`, alice, { quantity: 1 }, key);
    expect(expectStatus(reused, 422).json().code).toBe('idempotency_key_reused');
  });
});

describe('POST /api/packs/open', () => {
  it('refuses a pack the caller does not own and changes nothing', async () => {
    const before = expectStatus(await get('/api/fairness/commitment', bob), 200).json();
    expect(expectStatus(await open(bob, basic.id), 409).json().code).toBe('pack_not_owned');
    const after = expectStatus(await get('/api/fairness/commitment', bob), 200).json();
    expect(after.nonce).toBe(before.nonce);
    expectStatus(await open(bob, uuidv7()), 404);
  });

  it('burns one pack, mints its cards to the wallet and returns the proof inputs', async () => {
    const commitment = expectStatus(await get('/api/fairness/commitment', alice), 200).json();
    const basicCommitment = commitment.packs.find((p: { packId: string }) => p.packId === basic.id);
    const res = expectStatus(await open(alice, basic.id, basicCommitment.commitment), 201).json<Opening>();
    lastBasic = res;
    expect(res.cards).toHaveLength(2);
    expect(res.proof).toMatchObject({
      serverSeedHash: commitment.serverSeedHash,
      nonce: commitment.nonce,
      commitment: basicCommitment.commitment,
      dropTableHash: basicCommitment.dropTableHash,
    });
    expect(await balanceOf(t.runtime.ctx.db, alice.id, basic.asset)).toBe(2n);
    const collection = expectStatus(await get('/api/collection', alice), 200).json();
    const held = collection.items.reduce((s: number, i: { quantity: number }) => s + i.quantity, 0);
    expect(held).toBe(2);
    const next = expectStatus(await get('/api/fairness/commitment', alice), 200).json();
    expect(next.nonce).toBe(commitment.nonce + 1);
  });

  it('refuses an opening whose commitment no longer holds', async () => {
    const before = expectStatus(await get('/api/fairness/commitment', alice), 200).json();
    const stale = before.packs.find((p: { packId: string }) => p.packId === basic.id).commitment;
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/fairness/client-seed',
      headers: auth(alice),
      payload: { clientSeed: 'lucky-seven' },
    });
    expect(expectStatus(put, 200).json().clientSeed).toBe('lucky-seven');
    const res = expectStatus(await open(alice, basic.id, stale), 409).json();
    expect(res.code).toBe('commitment_changed');
    expect(res.commitment).not.toBe(stale);
    expect(await balanceOf(t.runtime.ctx.db, alice.id, basic.asset)).toBe(2n);
  });

  it('replays a retried opening with the same Idempotency-Key instead of opening a second pack', async () => {
    const key = { 'idempotency-key': `open-${uuidv7()}` };
    const first = expectStatus(await post('/api/packs/open', alice, { packId: basic.id }, key), 201);
    const again = expectStatus(await post('/api/packs/open', alice, { packId: basic.id }, key), 201);
    expect(again.json()).toEqual(first.json());
    lastBasic = first.json<Opening>();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await balanceOf(t.runtime.ctx.db, alice.id, basic.asset)).toBe(1n);
  });

  it('keeps the pity counter per user and product and always honours it', async () => {
    const openings: Opening[] = [];
    for (let i = 0; i < 6; i++) openings.push(expectStatus(await open(alice, pityPack.id), 201).json<Opening>());
    for (const o of openings) {
      const epic = o.cards[0]?.card.rarity === 'epic';
      if (o.pityBefore === 2) expect(o.pityApplied && epic).toBe(true);
      expect(o.pityAfter).toBe(epic ? 0 : o.pityBefore + 1);
    }
    expect(openings.filter((o) => o.pityApplied)).toHaveLength(2);
    const commitment = expectStatus(await get('/api/fairness/commitment', alice), 200).json();
    const counters = Object.fromEntries(
      commitment.packs.map((p: { packId: string; pityCounter: number }) => [p.packId, p.pityCounter]),
    );
    expect(counters[pityPack.id]).toBe(openings.at(-1)?.pityAfter);
    expect(counters[basic.id]).toBe(lastBasic?.pityAfter);
  });

  it('stops at the print run: sold-out cards drop out and an empty pack is refused without a trace', async () => {
    expectStatus(await buy(alice, limited.id, 3), 201);
    expect(expectStatus(await get(`/api/packs/${limited.id}`), 200).json().odds.rarities[5].eligibleCards).toBe(1);
    for (let i = 0; i < 2; i++) expectStatus(await open(alice, limited.id), 201);
    const soldOut = expectStatus(await open(alice, limited.id), 409).json();
    expect(soldOut.code).toBe('pack_sold_out');
    expect(await balanceOf(t.runtime.ctx.db, alice.id, limited.asset)).toBe(1n);
    const pack = expectStatus(await get(`/api/packs/${limited.id}`), 200).json();
    expect(pack.odds.rarities[5].eligibleCards).toBe(0);
    expect(pack.odds.slots[0].rarities).toEqual([]);
  });
});

describe('fairness', () => {
  it('verifies an opening after rotation, and only for its owner', async () => {
    expectStatus(await buy(alice, basic.id), 201);
    const opening = expectStatus(await open(alice, basic.id), 201).json<Opening>();
    const early = expectStatus(await get(`/api/fairness/verify/${opening.id}`, alice), 409);
    expect(early.json().code).toBe('seed_not_revealed');

    const rotated = expectStatus(await post('/api/fairness/rotate', alice), 200).json();
    expect(rotated.revealed.serverSeedHash).toBe(opening.proof.serverSeedHash);
    expect(hashServerSeed(rotated.revealed.serverSeed)).toBe(opening.proof.serverSeedHash);
    expect(rotated.next.serverSeedHash).not.toBe(opening.proof.serverSeedHash);
    expect(rotated.next.nonce).toBe(0);
    expect(rotated.next.clientSeed).toBe('lucky-seven');

    const verified = expectStatus(await get(`/api/fairness/verify/${opening.id}`, alice), 200).json();
    expect(verified).toMatchObject({
      kind: 'opening',
      valid: true,
      serverSeed: rotated.revealed.serverSeed,
      checks: { serverSeedMatchesCommitment: true, dropTableMatchesCommitment: true, pullsMatch: true },
    });
    expect(verified.opening.recomputed.map((p: { cardId: string }) => p.cardId)).toEqual(
      opening.cards.map((c) => c.card.id),
    );
    expectStatus(await get(`/api/fairness/verify/${opening.id}`, bob), 404);
    expectStatus(await get(`/api/fairness/verify/${uuidv7()}`, alice), 404);
    expectStatus(await get(`/api/fairness/verify/${opening.id}`), 401);
    expectStatus(await get(`/api/fairness/verify/${opening.id}`, admin), 200);
  });

  it('agrees with the standalone verifier on every opening, which fails tampered records', async () => {
    const carol = await createTestUser(t);
    await grantCoins(t.runtime.ctx.db, carol.id, 10_000n);
    const ids: string[] = [];
    for (const pack of [basic, pityPack, basic, pityPack, pityPack]) {
      expectStatus(await buy(carol, pack.id), 201);
      ids.push(expectStatus(await open(carol, pack.id), 201).json<Opening>().id);
    }
    expectStatus(await post('/api/fairness/rotate', carol), 200);
    const dir = await mkdtemp(path.join(tmpdir(), 'ece-fair-'));
    const script = fileURLToPath(new URL('../../../scripts/fairness-verify.mjs', import.meta.url));
    const check = (record: unknown) => {
      const file = path.join(dir, `${uuidv7()}.json`);
      writeFileSync(file, JSON.stringify(record));
      const run = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
      return {
        code: run.status,
        out: JSON.parse(run.stdout || 'null') as {
          valid: boolean;
          checks: object;
          recomputed: { pulls: unknown[] };
        } | null,
      };
    };
    try {
      for (const id of ids) {
        const record = expectStatus(await get(`/api/fairness/verify/${id}`, carol), 200).json();
        const fine = check(record);
        expect(fine.code).toBe(0);
        expect(fine.out).toMatchObject({
          valid: true,
          checks: { serverSeedMatchesCommitment: true, dropTableMatchesCommitment: true, pullsMatch: true },
        });
        expect(fine.out?.recomputed.pulls).toEqual(record.opening.recomputed);

        const pulls = structuredClone(record);
        pulls.opening.pulls[0].cardId =
          pulls.opening.pulls.at(-1).cardId === pulls.opening.pulls[0].cardId
            ? uuidv7()
            : pulls.opening.pulls.at(-1).cardId;
        expect(check(pulls)).toMatchObject({ code: 1, out: { checks: { pullsMatch: false } } });
        const seed = structuredClone(record);
        seed.serverSeed = `${seed.serverSeed.slice(0, -1)}${seed.serverSeed.endsWith('0') ? '1' : '0'}`;
        expect(check(seed)).toMatchObject({ code: 1, out: { checks: { serverSeedMatchesCommitment: false } } });
        const table = structuredClone(record);
        table.opening.dropTable.slots[0].weights.common += 1;
        expect(check(table)).toMatchObject({ code: 1, out: { checks: { dropTableMatchesCommitment: false } } });
      }
      writeFileSync(path.join(dir, 'broken.json'), '{');
      expect(spawnSync(process.execPath, [script, path.join(dir, 'broken.json')]).status).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('validates the client seed', async () => {
    const put = (clientSeed: unknown) =>
      t.app.inject({ method: 'PUT', url: '/api/fairness/client-seed', headers: auth(bob), payload: { clientSeed } });
    expectStatus(await put(''), 400);
    expectStatus(await put('has space'), 400);
    expectStatus(await put('x'.repeat(65)), 400);
  });
});

describe('retiring and deleting products', () => {
  it('stops sales of a retired product but lets owners open what they hold; sold products cannot be deleted', async () => {
    const retire = await t.app.inject({
      method: 'PUT',
      url: `/api/packs/${basic.id}`,
      headers: auth(admin),
      payload: { retired: true },
    });
    expect(expectStatus(retire, 200).json().retired).toBe(true);
    expect(expectStatus(await buy(alice, basic.id), 409).json().code).toBe('pack_retired');
    expectStatus(await open(alice, basic.id), 201);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/packs/${basic.id}`, headers: auth(admin) });
    expect(expectStatus(del, 409).json().code).toBe('pack_in_use');
    const unsold = await createPack(t, admin, { name: 'Unsold', price: 10, slots: [{ weights: { common: 1 } }] });
    const ok = await t.app.inject({ method: 'DELETE', url: `/api/packs/${unsold.id}`, headers: auth(admin) });
    expectStatus(ok, 204);
    expectStatus(await get(`/api/packs/${unsold.id}`), 404);
  });
});
