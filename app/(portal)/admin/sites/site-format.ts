/** "16 GB", "512 MB": memory as a person reads it. */
export function formatMemoryMb(mb: number): string {
  if (mb >= 1024) {
    const gb = mb / 1024;
    return `${gb >= 10 ? Math.round(gb) : gb.toFixed(1).replace(/\.0$/, "")} GB`;
  }
  return `${Math.round(mb)} MB`;
}

const numberFormat = new Intl.NumberFormat("en-GB");

export function formatCount(n: number): string {
  return numberFormat.format(n);
}
