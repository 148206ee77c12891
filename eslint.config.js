// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/**
 * Layering (docs/architecture.md): shared imports only shared; main imports shared; renderer imports
 * shared, never main; preload imports only electron and shared/api. Outside main/app (and the
 * Electron entry), main must run under plain Node, so it may not import electron.
 * Modelled on VS Code's `code-layering` rule, expressed with no-restricted-imports per folder.
 */
const nodeBuiltins = {
  group: ['node:*', 'fs', 'path', 'os', 'crypto', 'worker_threads', 'zlib'],
  message: 'src/shared is pure: no Node built-ins.',
};

/**
 * AssemblyScript's built-ins (https://www.assemblyscript.org/stdlib/builtins.html) that
 * src/shared/nmf/wasm/assembly uses or may use: types, SIMD namespaces, memory access, math,
 * decorators and compile-time constants.
 */
const assemblyScriptGlobals = [
  'i8 u8 i16 u16 i32 u32 i64 u64 isize usize bool f32 f64 v128 i8x16 i16x8 i32x4 i64x2 f32x4 f64x2',
  'load store unchecked select memory changetype sizeof offsetof alignof unreachable assert abort trace',
  'min max abs sqrt floor ceil trunc nearest copysign reinterpret clz ctz popcnt rotl rotr bswap',
  'isInteger isFloat inline unmanaged final global external operator lazy builtin __heap_base __data_end',
  'ASC_SHRINK_LEVEL ASC_OPTIMIZE_LEVEL ASC_FEATURE_SIMD ASC_FEATURE_THREADS',
].flatMap((line) => line.split(' '));
const onlyAppImportsElectron = {
  group: ['electron'],
  message: 'Only src/main/app may import electron: the rest of main runs under plain Node.',
};
const mainImportsMainAndShared = {
  group: ['**/renderer/**', '**/preload/**'],
  message: 'main imports only main and shared.',
};
const onlyServicesImportDb = {
  group: ['**/db', '**/db/**'],
  message: 'Only src/main/services reaches the database: call a service (src/main/services) instead.',
};
/** The same boundary for the library handle the service context carries (`services.ctx.db`). */
const noDbThroughContext = {
  selector: "MemberExpression[property.name='db'][object.property.name='ctx']",
  message: 'Only src/main/services reaches the database: call a service instead of using ctx.db.',
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'e2e-artifacts/**',
      'src/shared/nmf/wasm/build/**',
      '.bench/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  prettier,
  ...svelte.configs['flat/prettier'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // AssemblyScript (compiled by asc, not tsc): TypeScript syntax with its own built-ins as globals,
    // and decorators such as @inline on top-level functions, which TypeScript's grammar refuses.
    files: ['src/shared/nmf/wasm/assembly/**/*.ts'],
    languageOptions: {
      parserOptions: { allowInvalidAST: true },
      globals: Object.fromEntries(assemblyScriptGlobals.map((name) => [name, 'readonly'])),
    },
    // TypeScript's checker does not see these files, so ESLint reports names that are declared nowhere.
    rules: { 'no-undef': 'error' },
  },
  {
    files: ['src/shared/**/*.ts'],
    ignores: ['src/shared/**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            nodeBuiltins,
            {
              group: ['electron', 'better-sqlite3', 'h5wasm'],
              message: 'src/shared is pure: no Electron, database or I/O.',
            },
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'src/shared imports only src/shared.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'window', 'document', 'require'],
    },
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'electron', 'better-sqlite3'],
              message: 'The renderer is sandboxed: no Node or Electron.',
            },
            {
              group: ['**/main/**', '**/preload/**'],
              message: 'The renderer talks to main only through src/shared/api.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The sandboxed preload has no Node built-ins.' },
            {
              group: ['**/main/**', '**/renderer/**', '**/shared/!(api)/**'],
              message: 'The preload imports only electron and src/shared/api.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/app/**', 'src/main/index.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [onlyAppImportsElectron, mainImportsMainAndShared] }],
    },
  },
  // Use cases live in src/main/services: the command line, the Electron shell and the browser-mode
  // server reach the library only through them (the services' create/execute steps, queries and
  // context), never its tables. Tests may look at rows.
  {
    files: ['src/main/cli/**/*.ts', 'src/main/server/**/*.ts'],
    ignores: ['**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [onlyAppImportsElectron, mainImportsMainAndShared, onlyServicesImportDb] },
      ],
      'no-restricted-syntax': ['error', noDbThroughContext],
    },
  },
  {
    files: ['src/main/app/**/*.ts', 'src/main/index.ts'],
    ignores: ['**/__tests__/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [mainImportsMainAndShared, onlyServicesImportDb] }],
    },
  },
);
