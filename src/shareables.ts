/**
 * Every type that travels between processes as a handle on the same resource. A child's runtime
 * imports this, so handles it receives can be rebuilt even when the target's module does not
 * import the package.
 */
export { Lock } from './synchronize/lock.js';
