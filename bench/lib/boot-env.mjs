// The environment for Node.js drivers whose children's boot is measured: some environments (CI
// images, sandboxes) set variables that make every Node.js process boot slower, e.g.
// NODE_EXTRA_CA_CERTS makes Node read and parse a certificate bundle at start-up.

export const SLOW_BOOT_VARIABLES = ['NODE_EXTRA_CA_CERTS'];

/** This environment without the slow-boot variables (unless `keep`), and the ones it left out. */
export function bootEnvironment({ keep = false } = {}) {
  const env = { ...process.env };
  const stripped = {};
  if (keep) return { env, stripped };
  for (const name of SLOW_BOOT_VARIABLES) {
    if (env[name] === undefined) continue;
    stripped[name] = env[name];
    delete env[name];
  }
  return { env, stripped };
}
