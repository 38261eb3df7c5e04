// Lint rules that protect the design: workflow code stays deterministic and sandbox-safe,
// and no promise is left floating (a forgotten await loses errors silently).
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', '.scratch/**', 'coverage/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // A function that does not fit on a screen is doing more than one thing (warned, not failed: some
    // declarations, such as a route file's list, are long by nature and read top to bottom).
    files: ['src/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts'],
    ignores: ['src/db/migrations/**'],
    rules: { 'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    // All SQL lives in src/store/ (src/db/ keeps the ORM set-up, migrations, the seed and the fast path's pool):
    // routes, activities, support actions, CLIs and adapters call a store function, never SQL. Tests and
    // benchmarks keep their own SQL for set-up and assertions.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts', 'workflows/**/*.ts'],
    ignores: ['src/store/**', 'src/db/**'],
    rules: {
      'no-restricted-syntax': ['error', ...[
        "CallExpression[callee.property.name='execute']:not([callee.object.property.name='workflow'])",
        'MemberExpression[property.name=/^(getConnection|getKnex|transactional|createQueryBuilder)$/]',
        'CallExpression[callee.name=/^(sqlRows|sqlTransaction)$/]',
      ].map((selector) => ({ selector, message: 'SQL lives in src/store/: call (or add) a store function named after what it answers or changes.' }))],
    },
  },
  {
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workers/**/*.ts'],
    ignores: ['src/store/**', 'src/db/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'pg', message: 'SQL lives in src/store/: call (or add) a store function.' }],
        patterns: [{ group: ['**/db/sql'], message: 'The plain-SQL fast path is for src/store/ only.' }],
      }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'test/fixtures/*workflow*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': ['error', {
        paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
          name, message: 'Workflows run in a deterministic sandbox: do I/O in an activity.' })),
        patterns: [
          { group: ['@mikro-orm/*', 'pg', 'stripe', 'twilio', '@sendgrid/*', 'koa', '@koa/*', 'pino'], message: 'Workflows hold no I/O: call an activity instead.' },
          { group: ['../activities', '../activities/*', '../src/db/*', '../src/integrations/*'], message: 'Import activities with `import type` only (proxyActivities).', allowTypeImports: true },
        ],
      }],
    },
  },
);
