// Jobs, schedules and outbox delivery only; run as many as the load needs.
import { runProcess } from './platform/process.ts';

await runProcess('worker', () => ({ migrate: false, seed: false }));
