// HTTP only, for running many API processes behind a load balancer. Migrations and seeds are
// applied beforehand with `npm run db:migrate` and `npm run db:seed`.
import { modules } from './modules/index.ts';
import { runProcess } from './platform/process.ts';

await runProcess('api', modules, () => ({ migrate: false, seed: false }));
