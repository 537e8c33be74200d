// The layering of docs/ARCHITECTURE.md, enforced by dependency-cruiser in `npm test` (npm run lint:deps).
// Each folder imports only the folders below it, no module imports itself round a cycle, and only the
// shells know their transport.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle makes load order matter and the layers meaningless: move the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'common-is-pure',
      severity: 'error',
      comment: 'common/ is the contract both sides use: pure TypeScript, nothing but zod.',
      from: { path: '^src-main/common/' },
      to: { pathNot: ['^src-main/common/', '^node_modules/zod/'] },
    },
    {
      name: 'renderer-talks-only-to-the-contract',
      severity: 'error',
      comment: 'The renderer reaches the fabric only through FabricApi (common/); no Node, no Electron.',
      from: { path: '^src-renderer/' },
      to: { pathNot: ['^src-renderer/', '^src-main/common/', '^node_modules/(svelte|chart\\.js)/'] },
    },
    {
      name: 'host-shares-only-common-and-logs',
      severity: 'error',
      comment: 'Host code runs in a host worker: it shares only common/ (the protocol) and logs/ with the fabric.',
      from: { path: '^src-main/host/' },
      to: { path: '^src-main/', pathNot: ['^src-main/(host|common|logs)/'] },
    },
    {
      name: 'logs-know-no-fabric',
      severity: 'error',
      comment: 'logs/ knows nothing of Electron, the fabric or the host; yazl writes exports, node-cron schedules them.',
      from: { path: '^src-main/logs/' },
      to: { pathNot: ['^src-main/(logs|common)/', '^node_modules/(yazl|node-cron)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'package-is-pure-reading',
      severity: 'error',
      comment: 'package/ is pure reading plus safe unzip (saxes, yauzl).',
      from: { path: '^src-main/package/' },
      to: { pathNot: ['^src-main/(package|common)/', '^node_modules/(saxes|yauzl)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'fabric-knows-no-transport',
      severity: 'error',
      comment: "The fabric knows no UI transport and runs no host code; NATS is its link to host nodes on other machines, as worker_threads is to local hosts; http-parser-js is the load balancer's meter (fabric/load-balancer/http-exchange-meter.ts).",
      from: { path: '^src-main/fabric/' },
      to: { pathNot: ['^src-main/(fabric|common|package|logs)/', '^node_modules/@nats-io/', '^node_modules/http-parser-js/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'management-knows-no-shell',
      severity: 'error',
      comment: 'management/ is the Service Management API: HTTPS and XML over the fabric, started by the shells, knowing none of them.',
      from: { path: '^src-main/management/' },
      to: { pathNot: ['^src-main/(management|fabric|common|package|logs)/', '^node_modules/(node-forge|fast-xml-parser)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'fabric-thread-knows-no-shell',
      severity: 'error',
      comment: "fabric-thread/ runs the one fabric and its Service Management face in a worker for the shells (electron/, serve/), knowing none of them.",
      from: { path: '^src-main/fabric-thread/' },
      to: { pathNot: ['^src-main/(fabric-thread|fabric|management|common)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'role-host-shares-only-common',
      severity: 'error',
      comment: "A role's host process shares only the role-host protocol (common/) with the host worker.",
      from: { path: '^src-main/role-host/' },
      to: { path: '^src-main/', pathNot: ['^src-main/(role-host|common)/'] },
    },
    {
      name: 'only-the-electron-shell-knows-electron',
      severity: 'error',
      from: { pathNot: '^src-main/electron/' },
      to: { path: '^node_modules/electron/' },
    },
    {
      name: 'only-the-serve-shell-knows-ws',
      severity: 'error',
      from: { path: '^src-', pathNot: '^src-main/serve/' },
      to: { path: '^node_modules/ws/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing is a typo or an undeclared package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through types still ties two modules' meaning together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.svelte', '.json'] },
    exclude: { path: ['^out/'] },
  },
};
