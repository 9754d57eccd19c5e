// What contention.mjs's children run (a module of its own: a child imports it to find the target).

/** Appends 0..n-1 to a managed list, one call at a time. */
export async function appendMany(list, n) {
  for (let i = 0; i < n; i++) await list.append(i);
}
