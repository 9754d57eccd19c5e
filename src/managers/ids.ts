/**
 * Ids of servers and of proxies' references in flight. They name things among authenticated
 * peers only (never a secret): unique is enough, and Math.random spares loading node:crypto.
 */
let counter = 0;

export function newId(): string {
  counter += 1;
  const random = Math.floor(Math.random() * 2 ** 48).toString(36);
  return `${process.pid.toString(36)}.${counter.toString(36)}.${random}`;
}
