/**
 * The architecture on one page: which folder of src/ may import which. Data
 * flows source → ingest → validation → aggregation → state → close-out →
 * delivery; imports point the other way, down to config and the leaf modules.
 * `npm test` fails on any import that breaks a rule here, and on any cycle.
 *
 *   cli ─┬─► ingest ──┬─► source              (its observer port: source/consumer-observer.ts)
 *        │            └─► validation, aggregation, state   (its ports: ingest/ports.ts)
 *        ├─► metrics ──► closeout (stored reports), intraday, state
 *        ├─► closeout ──► state ──► aggregation ──► validation
 *        ├─► intraday ──► aggregation (its slots; the checks are pure)
 *        ├─► delivery ──► closeout (report types, check registry)
 *        ├─► replay ────► source
 *        └─► config ◄── everything;   leaves (errors.ts, outcome.ts, log.ts, calendar/) import nothing of ours
 *   checks/ (what every check shares: severities, playbooks) ◄── closeout, intraday, delivery, metrics, cli
 */
/** Imported by anyone, importing nothing of ours: typed errors, reject reasons, the logger, calendar days. */
const LEAVES = '^src/((errors|outcome|log|dictionary)\\.ts$|calendar/)';

const layer = (name, mayImport) => ({
  name: `${name}-imports-only-${mayImport.join('-') || 'leaves'}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/${name}/`, LEAVES, ...mayImport.map((m) => `^src/${m}/`)],
  },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules may not depend on themselves through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'leaves-import-nothing-of-ours',
      severity: 'error',
      from: { path: LEAVES },
      to: { path: '^src/' },
    },
    layer('config', []),
    layer('checks', []),
    layer('validation', ['config']),
    layer('aggregation', ['validation', 'config']),
    layer('state', ['aggregation', 'validation', 'config']),
    layer('metrics', ['checks', 'closeout', 'intraday', 'state', 'aggregation', 'validation', 'config']),
    layer('source', ['config']),
    layer('ingest', ['source', 'validation', 'aggregation', 'state', 'config']),
    layer('closeout', ['checks', 'intraday', 'state', 'aggregation', 'validation', 'config']),
    layer('intraday', ['checks', 'aggregation', 'config']),
    layer('delivery', ['checks', 'closeout', 'intraday', 'config']),
    layer('replay', ['source', 'config']),
    {
      name: 'bench-and-scripts-use-no-test-helpers',
      severity: 'error',
      from: { path: '^(bench|scripts|src)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    // type-only imports count: a cycle through types is still a cycle of concepts
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
