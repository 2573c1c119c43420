// ESLint (flat config): the recommended rules of ESLint and typescript-eslint. No rule needs type
// information, so `npm run lint` stays fast (the type check is `npm run typecheck`); `--cache`
// keeps repeated runs to the files that changed.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const node = { process: 'readonly', Buffer: 'readonly', console: 'readonly', URL: 'readonly' };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'var/', 'wp-plugin-shim/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: node },
    rules: {
      // A leading underscore names what is deliberately left unused (a destructured field dropped, an interface's argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // prom-client calls a metric's collect() with the metric as `this`; the owner is reached as `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    // CommonJS config files (the dependency rules).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // Tests read rows loosely (`query<any[]>`) and use chai's property assertions (`expect(x).to.be.true`).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
