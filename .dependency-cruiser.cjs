// Architecture rules, checked by `npm test` (test/package/architecture.test.ts) through dependency-cruiser.
// TypeScript is parsed with swc (TypeScript 7 has no JavaScript compiler API for dependency-cruiser to use), which
// sees type-only imports too: a cycle through types is still a cycle.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "runtime-knows-no-category",
      severity: "error",
      comment: "runtime/ is the element runtime alone; each category's contract lives in its Meta's folder under elements/. Only the package entry (index.ts) composes the two.",
      from: { path: "^runtime/" },
      to: { path: "^elements/" },
    },
    {
      name: "no-circular",
      severity: "error",
      comment: "No two modules import each other, directly or through others (type-only imports included).",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    // Fixtures are data for the tests: some are broken on purpose (syntax errors, forbidden imports).
    exclude: { path: ["(^|/)(node_modules|dist|\\.tmp)/", "^test/fixtures/"] },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["jit-elements-source", "import", "node", "default"],
      extensions: [".ts", ".js", ".mjs", ".d.ts", ".json"],
    },
  },
};
