export { communityBotRoutes } from './routes-bots.ts';
export { moderationRoutes } from './routes-moderation.ts';
export { communitySocialRoutes } from './routes-social.ts';
export { sharingRoutes } from './routes-sharing.ts';
export type { CommunityRouteDeps } from './route-support.ts';
