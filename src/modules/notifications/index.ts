import { withTransaction } from '../../platform/db/tx.ts';
import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { notificationsExporter } from './export-data.ts';
import { mailerFor } from '../../platform/mail/index.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { registerLedgerNotifications } from './ledger-events.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { eraseNotificationsData } from './erase-data.ts';
import { notificationRoutes } from './routes.ts';
import {
  deliverNotification,
  notify,
  NOTIFICATION_CREATED,
  NOTIFICATION_REQUESTED,
  type NotifyInput,
} from './service.ts';

export { notify, requestNotification, NOTIFICATION_CREATED, NOTIFICATION_REQUESTED } from './service.ts';
export type { NotifyInput, NotificationView } from './service.ts';

export const notificationsModule: ModuleDefinition = {
  name: 'notifications',
  setup(ctx) {
    ctx.events.on(
      NOTIFICATION_CREATED,
      'notifications.deliver',
      deliverNotification({ db: ctx.db, realtime: ctx.realtime, mailer: () => mailerFor(ctx) }),
    );
    ctx.events.on(NOTIFICATION_REQUESTED, 'notifications.create', async (event) => {
      // The event id doubles as the notification id, so a redelivered request notifies once.
      await withTransaction(ctx.db, (tx) => notify(tx, event.payload as NotifyInput, { id: event.id }));
    });
    registerLedgerNotifications(ctx);
    registerExporter(ctx, notificationsExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'notifications.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseNotificationsData(ctx.db, userId);
    });
  },
  routes: notificationRoutes,
};
