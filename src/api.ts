// HTTP only, for running many API processes behind a load balancer. Migrations and seeds are
// applied beforehand with `npm run db:migrate` and `npm run db:seed`.
import { runProcess } from './platform/process.ts';

await runProcess('api', () => ({ migrate: false, seed: false }));
