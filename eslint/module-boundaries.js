// Lint rule of the house: a module reaches another module only through that module's index.ts
// (its face); never its services, repositories or tables.
import path from 'node:path';

const MODULES = `${path.sep}src${path.sep}modules${path.sep}`;

/** The module a file belongs to and the path inside it, or null outside src/modules/<name>/. */
function moduleOf(file) {
  const at = file.lastIndexOf(MODULES);
  if (at < 0) return null;
  const rest = file.slice(at + MODULES.length).split(path.sep);
  if (rest.length < 2) return null;
  return { name: rest[0], inner: rest.slice(1).join('/') };
}

/** @type {import('eslint').Rule.RuleModule} */
export const moduleBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Import another module only through its index.ts' },
    messages: {
      internal:
        "'{{source}}' reaches into the {{target}} module; import it from its index.ts (add an export there if it is part of the module's face).",
    },
    schema: [],
  },
  create(context) {
    const here = moduleOf(context.filename);
    if (!here) return {};
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const there = moduleOf(path.resolve(path.dirname(context.filename), source));
      if (!there || there.name === here.name || there.inner === 'index.ts') return;
      context.report({ node: node.source, messageId: 'internal', data: { source, target: there.name } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { 'module-boundaries': moduleBoundaries } };
