import type { ModuleDefinition } from '../platform/module.ts';

/** Every business module, in registration order. */
export const modules: readonly ModuleDefinition[] = [];
