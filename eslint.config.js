// Lint: a few type-aware rules that catch real bugs in this codebase's async, event-driven code, and keep
// type-only imports erased (the preload and the common/ contract must not pull runtime code by accident).
// The same rules run over the Svelte components' scripts. Formatting and style are left to review.
// Run with `npm run lint`; `npm test` runs it too.
import svelteParser from 'svelte-eslint-parser';
import tseslint from 'typescript-eslint';

const rules = {
  // A promise nobody awaits or catches loses its error: handle it, or say `void` on purpose.
  '@typescript-eslint/no-floating-promises': 'error',
  // An async function where a void callback is expected (an event listener, forEach) drops its rejection.
  '@typescript-eslint/no-misused-promises': 'error',
  // `typeof import('./x')` stays allowed: it types a module loaded lazily (host-agent's web server).
  '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '**/*.mjs', '**/*.cjs', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules,
  },
  {
    files: ['**/*.svelte'],
    languageOptions: {
      parser: svelteParser,
      parserOptions: { parser: tseslint.parser, projectService: true, extraFileExtensions: ['.svelte'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules,
  },
);
