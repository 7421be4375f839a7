import { desc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, without, type Exporter } from '../../platform/privacy/export.ts';
import { crowdfundingCampaigns, crowdfundingPledges, crowdfundingTiers, crowdfundingUpdates } from './tables.ts';

/** The crowdfunding section of a user's export: campaigns created (with tiers and updates) and pledges made. */
export const crowdfundingExporter: Exporter = {
  section: 'crowdfunding',
  async export(db: Db, userId: string) {
    const mine = eq(crowdfundingCampaigns.creatorId, userId);
    return {
      campaigns: await capped((n) =>
        db
          .select()
          .from(crowdfundingCampaigns)
          .where(mine)
          .orderBy(desc(crowdfundingCampaigns.id))
          .limit(n)
          .then((rows) => rows.map((c) => without(c, 'reviewedBy'))),
      ),
      tiers: await capped((n) =>
        db
          .select(getTableColumns(crowdfundingTiers))
          .from(crowdfundingTiers)
          .innerJoin(crowdfundingCampaigns, eq(crowdfundingCampaigns.id, crowdfundingTiers.campaignId))
          .where(mine)
          .orderBy(desc(crowdfundingTiers.id))
          .limit(n),
      ),
      updates: await capped((n) =>
        db
          .select()
          .from(crowdfundingUpdates)
          .where(eq(crowdfundingUpdates.authorId, userId))
          .orderBy(desc(crowdfundingUpdates.id))
          .limit(n),
      ),
      pledges: await capped((n) =>
        db
          .select({ ...getTableColumns(crowdfundingPledges), campaignTitle: crowdfundingCampaigns.title })
          .from(crowdfundingPledges)
          .innerJoin(crowdfundingCampaigns, eq(crowdfundingCampaigns.id, crowdfundingPledges.campaignId))
          .where(eq(crowdfundingPledges.backerId, userId))
          .orderBy(desc(crowdfundingPledges.id))
          .limit(n),
      ),
    };
  },
};

/**
 * Erases what a deleted account wrote as a creator: its campaigns and their tiers keep their
 * numbers (backers' pledges and the ledger depend on them) under neutral titles without
 * descriptions, and its news posts go. Pledges it made stay: they are amounts, not words.
 */
export async function eraseCrowdfundingData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`UPDATE ${crowdfundingTiers} t SET title = 'Tier ' || (t.position + 1), description = ''
    FROM ${crowdfundingCampaigns} c WHERE c.id = t.campaign_id AND c.creator_id = ${userId}`);
  await db.execute(sql`UPDATE ${crowdfundingCampaigns}
    SET title = 'Campaign ' || left(id::text, 8), description = '', updated_at = now()
    WHERE creator_id = ${userId}`);
  await db.execute(sql`DELETE FROM ${crowdfundingUpdates} WHERE author_id = ${userId}`);
}
