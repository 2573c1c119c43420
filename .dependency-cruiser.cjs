/**
 * Dependency rules of src/ (docs/architecture.md shows the layers). `npm run lint:deps` checks
 * them; test/unit/dependency-rules.test.ts proves each rule fails on a deliberately bad import.
 * Type-only imports count: a cycle through `import type` is still a cycle for a reader.
 */
/** Feature code: business rules and the services that apply them. */
const FEATURE = '^src/(domain|backup|monitoring)/';
/** Where the parts are built and started: nothing below may import it. */
const COMPOSITION = '^src/(main|container|app|server)\\.ts$|^src/(features|cli|doctor)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles: every module must be readable (and buildable) before the ones that use it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-not-http',
      severity: 'error',
      comment:
        'Business rules know nothing of HTTP: they throw SidecarError (src/errors.ts) and return outcomes; routes turn them into answers.',
      from: { path: FEATURE },
      to: { path: '^src/http/' },
    },
    {
      name: 'data-cache-not-domain',
      severity: 'error',
      comment: 'The database and cache layers serve the domain; they never reach up into it (nor into HTTP or jobs).',
      from: { path: '^src/(data|cache)/' },
      to: { path: `${FEATURE}|^src/(http|jobs)/` },
    },
    {
      name: 'jobs-only-schedule',
      severity: 'error',
      comment: 'jobs/ only schedules (cron, slots, the task queue): the work each job does is a business service it is handed.',
      from: { path: '^src/jobs/' },
      to: { path: `${FEATURE}|^src/http/` },
    },
    {
      name: 'not-to-composition',
      severity: 'error',
      comment:
        'Only the composition root (container.ts, features/) and the entry points (main.ts, cli/, doctor/) see how the parts are assembled.',
      from: { path: '^src/', pathNot: COMPOSITION },
      to: { path: COMPOSITION },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|var)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
  },
};
