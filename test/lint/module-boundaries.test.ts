import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import { moduleBoundaries } from '../../eslint/module-boundaries.js';

/*
 * The house rule that keeps modules apart: another module only through its index.ts. Valid and
 * invalid imports from a file inside one module, as ESLint reports them.
 */

RuleTester.describe = describe;
RuleTester.it = it;

const root = path.resolve(import.meta.dirname, '../..');
const inBots = path.join(root, 'src/modules/bots/bot-service.ts');
const inSandbox = path.join(root, 'src/modules/bots/sandbox/worker.ts');
const inPlatform = path.join(root, 'src/platform/http/auth.ts');

new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2024, sourceType: 'module' } }).run(
  'module-boundaries',
  moduleBoundaries,
  {
    valid: [
      { filename: inBots, code: "import { placeOrder } from '../market/index.ts';" },
      { filename: inBots, code: "import * as repo from './repo.ts';" },
      { filename: inSandbox, code: "import { INTERVAL_MS } from '../strategy.ts';" },
      { filename: inSandbox, code: "import { COIN } from '../../ledger/index.ts';" },
      { filename: inBots, code: "import type { Db } from '../../platform/db/tx.ts';" },
      { filename: inBots, code: "import { LRUCache } from 'lru-cache';" },
      { filename: inPlatform, code: "import { x } from '../../modules/market/repo.ts';" },
    ],
    invalid: [
      {
        filename: inBots,
        code: "import * as marketRepo from '../market/repo.ts';",
        errors: [{ messageId: 'internal', data: { source: '../market/repo.ts', target: 'market' } }],
      },
      {
        filename: inSandbox,
        code: "import { transfer } from '../../ledger/service.ts';",
        errors: [{ messageId: 'internal' }],
      },
      {
        filename: inBots,
        code: "import type { BotRow } from '../community/tables.ts';",
        errors: [{ messageId: 'internal' }],
      },
      {
        filename: inBots,
        code: "export { cardHoldings } from '../cards/holdings.ts';",
        errors: [{ messageId: 'internal' }],
      },
      {
        filename: inBots,
        code: "export * from '../market/tables.ts';",
        errors: [{ messageId: 'internal' }],
      },
      {
        filename: inBots,
        code: "const engine = await import('../market/engine/book.ts');",
        errors: [{ messageId: 'internal' }],
      },
    ],
  },
);
