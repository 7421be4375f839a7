// All in one process: API and workers; the embedded database unless DATABASE_URL is set.
import { modules } from './modules/index.ts';
import { runProcess } from './platform/process.ts';

await runProcess('all', modules, (config) => ({ migrate: config.embedded, seed: config.embedded }));
