// The package under test, as built by `npm run build` at the repository root.
export * from '../../dist/index.js';
