/** The target `multiprocessing-ts doctor` starts with each start method: it only has to run and end. */
export function probe(): void {}
