import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import house from './eslint/module-boundaries.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'data/', 'drizzle/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A module's face is its index.ts, for its tests too; shared test fixtures live under test/.
    files: ['src/modules/**/*.ts'],
    plugins: { house },
    rules: { 'house/module-boundaries': 'error' },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
