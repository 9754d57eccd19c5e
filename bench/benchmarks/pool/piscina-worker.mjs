// The worker file for piscina and tinypool (both run its default export, or a named export with
// the `name` run option): the benchmark's task functions, unchanged.
import { double, spin } from './targets.mjs';

export default double;
export { double, spin };
