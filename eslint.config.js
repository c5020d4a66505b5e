import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// core/ must stay pure: it runs unchanged under the deterministic simulator.
const coreForbiddenGlobals = [
  { name: 'Date', message: 'core/ is pure: time is an input.' },
  { name: 'setTimeout', message: 'core/ is pure: return a deadline instead.' },
  { name: 'setInterval', message: 'core/ is pure: return a deadline instead.' },
  { name: 'setImmediate', message: 'core/ is pure: return a deadline instead.' },
  { name: 'queueMicrotask', message: 'core/ is pure.' },
  { name: 'process', message: 'core/ is pure: no process access.' },
  { name: 'performance', message: 'core/ is pure: time is an input.' },
  { name: 'require', message: 'core/ is pure.' },
  { name: 'fetch', message: 'core/ is pure: no I/O.' },
  { name: 'console', message: 'core/ is pure: return effects, do not log.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'schema/generated/**', '.tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...coreForbiddenGlobals],
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*'], message: 'core/ is pure: no node:* imports.' },
        { group: ['fs', 'os', 'net', 'path', 'worker_threads', 'crypto', 'child_process', 'http', 'events', 'timers'], message: 'core/ is pure.' },
        { group: ['**/runtime-node/**', '**/runtime-sim/**'], message: 'core/ depends on nothing outside core/.' },
      ] }],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'core/ is pure: randomness is an injected seeded PRNG.' },
        { object: 'Atomics', property: 'wait', message: 'core/ never blocks: waiting belongs to the runtime.' },
        { object: 'Atomics', property: 'waitAsync', message: 'core/ never blocks: waiting belongs to the runtime.' },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
