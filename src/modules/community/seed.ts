import { uuidv7 } from 'uuidv7';
import type { Seeder } from '../../platform/db/seed.ts';
import type { Db } from '../../platform/db/tx.ts';
import { newLinkToken } from './access.ts';
import { announceSharedBots } from './feed-service.ts';
import { botsOwnedBy, findStrategyInfo, findUserRef, forkStrategyVersion, type BotSummary } from './ports.ts';
import * as repo from './repo.ts';
import type { SharingMode } from './tables.ts';

/** How the demo makers share their demo bots' strategies. */
const DEMO_SHARING: readonly { username: string; mode: SharingMode; description: string }[] = [
  {
    username: 'maker_ada',
    mode: 'protected',
    description: 'Trend following on moving-average crossovers. Performance is public; the rules stay mine.',
  },
  {
    username: 'maker_bram',
    mode: 'open',
    description: 'Buys oversold dips and sells the bounce. Open rules: fork it and tune it.',
  },
];

/**
 * The demo bots of maker_ada (protected) and maker_bram (open) shared publicly, with a few comments,
 * likes and follows by alice and the makers, and alice's fork of bram's strategy, so community pages
 * show data on first start. Runs after the bots module's demo seed (module order).
 */
export const demoCommunitySeeder: Seeder = {
  name: 'community.demo',
  demo: true,
  async run(tx) {
    const alice = await findUserRef(tx, 'alice');
    if (!alice) return;
    const shared: { owner: { id: string; username: string }; bot: BotSummary; mode: SharingMode }[] = [];
    for (const demo of DEMO_SHARING) {
      const owner = await findUserRef(tx, demo.username);
      const bot = owner && (await botsOwnedBy(tx, owner.id, 1))[0];
      const strategy = bot && (await findStrategyInfo(tx, bot.strategyId));
      if (!owner || !bot || !strategy) continue;
      await repo.upsertSharing(
        tx,
        {
          strategyId: strategy.id,
          ownerId: owner.id,
          visibility: 'public',
          mode: demo.mode,
          description: demo.description,
          linkToken: newLinkToken(),
          announcedVersion: strategy.latestVersion,
        },
        false,
      );
      await announceSharedBots(tx, strategy, [bot]);
      shared.push({ owner, bot, mode: demo.mode });
    }
    for (const { owner, bot } of shared) {
      await repo.follow(tx, alice.id, 'user', owner.id);
      await repo.follow(tx, alice.id, 'bot', bot.id);
      await repo.like(tx, bot.id, alice.id);
    }
    const [ada, bram] = shared;
    if (ada) await seedThread(tx, ada.bot.id, alice.id, ada.owner.id);
    if (ada && bram) {
      await repo.like(tx, ada.bot.id, bram.owner.id);
      await repo.follow(tx, bram.owner.id, 'user', ada.owner.id);
      await repo.insertComment(tx, {
        id: uuidv7(),
        botId: bram.bot.id,
        authorId: ada.owner.id,
        parentId: null,
        body: 'Nice drawdown control. Which RSI period works best on the thinner cards?',
      });
    }
    if (bram) await seedFork(tx, alice.id, bram.owner.id, bram.bot.strategyId);
  },
};

async function seedThread(tx: Db, botId: string, aliceId: string, ownerId: string): Promise<void> {
  const question = await repo.insertComment(tx, {
    id: uuidv7(),
    botId,
    authorId: aliceId,
    parentId: null,
    body: 'How does this one behave when the market goes sideways for a week?',
  });
  await repo.insertComment(tx, {
    id: uuidv7(),
    botId,
    authorId: ownerId,
    parentId: question.id,
    body: 'It mostly sits out: the crossover needs a real trend, so flat weeks cost only fees.',
  });
}

async function seedFork(tx: Db, aliceId: string, ownerId: string, strategyId: string): Promise<void> {
  const source = await findStrategyInfo(tx, strategyId);
  if (!source) return;
  const copied = await forkStrategyVersion(tx, {
    strategyId,
    version: source.latestVersion,
    ownerId: aliceId,
    name: `${source.name} (fork)`,
  });
  if (!copied) return;
  await repo.insertFork(tx, {
    id: uuidv7(),
    sourceStrategyId: strategyId,
    sourceVersion: source.latestVersion,
    sourceOwnerId: ownerId,
    forkedStrategyId: copied.strategy.id,
    forkedBy: aliceId,
  });
}
