// Jobs, schedules and outbox delivery only; run as many as the load needs.
import { modules } from './modules/index.ts';
import { runProcess } from './platform/process.ts';

await runProcess('worker', modules, () => ({ migrate: false, seed: false }));
