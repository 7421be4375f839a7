// All in one process: API and workers; the embedded database unless DATABASE_URL is set.
import { runProcess } from './platform/process.ts';

await runProcess('all', (config) => ({ migrate: config.embedded, seed: config.embedded }));
