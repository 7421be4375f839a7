import type { Seeder } from '../../platform/db/seed.ts';
import type { Db } from '../../platform/db/tx.ts';
import { cardHoldings, findUserRef } from './ports.ts';
import type { CreateCampaignBody } from './schemas.ts';
import { cancelPledge, contribute, createCampaign } from './service.ts';
import { settleDue } from './settle.ts';

const DAY_MS = 86_400_000;
/** The fee the demo's past settlements used (the default of CROWDFUNDING_FEE_BPS). */
const DEMO_FEE_BPS = 500;
const settings = { requireApproval: false, maxDays: 90 };

async function userIds(tx: Db, names: readonly string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const name of names) {
    const user = await findUserRef(tx, name);
    if (user) ids.set(name, user.id);
  }
  return ids;
}

/** A card tier from the creator's most plentiful holding, if they hold enough copies. */
async function cardTier(tx: Db, creatorId: string, quantity: number): Promise<CreateCampaignBody['tiers']> {
  const best = (await cardHoldings(tx, creatorId)).sort((a, b) => (b.quantity > a.quantity ? 1 : -1))[0];
  if (!best || best.quantity < BigInt(quantity)) return [];
  return [
    {
      title: 'Collector',
      description: 'A signed copy of the card, plus the perks below',
      minPledge: 5_000,
      quantity,
      cards: [{ variantId: best.variantId, copies: 1 }],
    },
  ];
}

const perkTier = (minPledge: number, quantity: number) => ({
  title: 'Supporter',
  description: 'Your name in the credits',
  minPledge,
  quantity,
});

/**
 * Campaigns in every state a visitor meets, by demo users, through the same services and the
 * ledger: one live (with a cancelled pledge), one waiting for review, one funded and one failed
 * (settled with past clocks, so the creator was paid and the backers refunded), so lists show data
 * on first start and the ledger reconciles.
 */
export const demoCampaignsSeeder: Seeder = {
  name: 'crowdfunding.demo',
  demo: true,
  async run(tx) {
    const ids = await userIds(tx, ['alice', 'bob', 'maker_ada', 'maker_bram', 'maker_cleo', 'maker_dev', 'maker_esme']);
    const id = (name: string) => ids.get(name);
    const now = Date.now();
    const pledge = async (name: string, campaignId: string, amount: number, at: number, tierId?: string) => {
      const backer = id(name);
      if (!backer) return undefined;
      return contribute(tx, backer, { campaignId, amount, ...(tierId ? { tierId } : {}) }, new Date(at));
    };

    // Funded 10 days ago: created 40 days ago, backed past its goal, settled at its deadline.
    const cleo = id('maker_cleo');
    if (cleo) {
      const start = now - 40 * DAY_MS;
      const deadline = now - 10 * DAY_MS;
      const funded = await createCampaign(
        tx,
        cleo,
        {
          title: 'Ember Drake tournament deck',
          description: 'A curated tournament deck and a strategy guide for the Ember Drake set.',
          goal: 200_000,
          deadline: new Date(deadline).toISOString(),
          tiers: [...(await cardTier(tx, cleo, 3)), perkTier(1_000, 100)],
        },
        settings,
        new Date(start),
      );
      const cardTierId = funded.tiers.find((t) => t.cards.length > 0)?.id;
      await pledge('maker_ada', funded.id, 120_000, start + DAY_MS, cardTierId);
      await pledge('maker_dev', funded.id, 60_000, start + 5 * DAY_MS, cardTierId);
      await pledge('alice', funded.id, 20_000, start + 9 * DAY_MS, funded.tiers.at(-1)?.id);
      await settleDue(tx, { now: new Date(deadline + 60_000), feeBps: DEMO_FEE_BPS });
    }

    // Failed 3 days ago: the goal was missed, so every backer was refunded.
    const dev = id('maker_dev');
    if (dev) {
      const start = now - 20 * DAY_MS;
      const deadline = now - 3 * DAY_MS;
      const failed = await createCampaign(
        tx,
        dev,
        {
          title: 'Holo foil reprint fund',
          description: 'Reprint the first set in holo foil, if enough collectors want it.',
          goal: 5_000_000,
          deadline: new Date(deadline).toISOString(),
          tiers: [perkTier(2_000, 50)],
        },
        settings,
        new Date(start),
      );
      await pledge('maker_esme', failed.id, 40_000, start + DAY_MS, failed.tiers[0]?.id);
      await pledge('bob', failed.id, 5_000, start + 2 * DAY_MS);
      await settleDue(tx, { now: new Date(deadline + 60_000), feeBps: DEMO_FEE_BPS });
    }

    // Live for three more weeks; bob changed his mind about one pledge.
    const alice = id('alice');
    if (alice) {
      const start = now - 2 * DAY_MS;
      const live = await createCampaign(
        tx,
        alice,
        {
          title: 'Fan-made expansion: Tidecallers',
          description: 'Art and playtesting for a fan-made set of twelve sea-themed cards.',
          goal: 150_000,
          deadline: new Date(now + 21 * DAY_MS).toISOString(),
          tiers: [...(await cardTier(tx, alice, 2)), perkTier(500, 200)],
        },
        settings,
        new Date(start),
      );
      await pledge('maker_bram', live.id, 30_000, start + 3_600_000, live.tiers[0]?.id);
      await pledge('bob', live.id, 2_500, start + 7_200_000, live.tiers.at(-1)?.id);
      const changed = await pledge('bob', live.id, 1_000, start + DAY_MS);
      const bob = id('bob');
      if (changed && bob) await cancelPledge(tx, bob, changed.id, new Date(start + DAY_MS + 3_600_000));
    }

    // Waiting for an admin's review (visible to its creator and admins).
    const bob = id('bob');
    if (bob) {
      await createCampaign(
        tx,
        bob,
        {
          title: 'Local league prize pool',
          description: 'Prizes for a monthly local league.',
          goal: 50_000,
          deadline: new Date(now + 30 * DAY_MS).toISOString(),
          tiers: [perkTier(500, 30)],
        },
        { ...settings, requireApproval: true },
        new Date(now - 3_600_000),
      );
    }
  },
};
