/** The first 12 hex digits: enough to tell revisions apart at a glance; the full hash is on the request page. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
