import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

// Node built-ins and I/O libraries: forbidden in workflows/ (must stay deterministic for replay) and domain/ (pure).
const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];
const forbiddenInPure = {
  paths: [
    ...nodeBuiltins.flatMap((name) => [
      { name, message: 'Node built-ins are not allowed here: this code must be deterministic and free of I/O.' },
      {
        name: `node:${name}`,
        message: 'Node built-ins are not allowed here: this code must be deterministic and free of I/O.',
      },
    ]),
    { name: '@prisma/client', message: 'Database access belongs in activities/.' },
    { name: 'express', message: 'HTTP belongs in api/.' },
    { name: 'pg', message: 'Database access belongs in activities/.' },
    { name: 'better-sqlite3', message: 'Database access belongs in activities/.' },
    { name: '@temporalio/client', message: 'Workflows talk to Temporal through @temporalio/workflow only.' },
    { name: '@temporalio/worker', message: 'Workflows talk to Temporal through @temporalio/workflow only.' },
  ],
  patterns: [
    {
      group: ['**/activities/*', '!**/activities/types'],
      message: 'Import activity types only (import type).',
      allowTypeImports: true,
    },
    { group: ['**/api/*', '**/worker/*', '**/prisma/*'], message: 'Not allowed in deterministic code.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'prisma/generated/', 'coverage/', 'test-output/', 'web/dist/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    ignores: ['web/**'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  },
  {
    // The browser application: its own tsconfig (web/tsconfig.json, found by the project service), browser globals,
    // and the React hooks rules.
    files: ['web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser },
    },
    rules: {
      ...reactHooks.configs['recommended-latest'].rules,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': ['error', forbiddenInPure],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'require', '__dirname', 'Buffer'],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...forbiddenInPure,
          paths: [
            ...forbiddenInPure.paths,
            { name: '@temporalio/workflow', message: 'domain/ is pure: no Temporal here.' },
          ],
        },
      ],
    },
  },
);
