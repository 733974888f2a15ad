/** Short, human time spans for live views: "40 ms", "4.2 s", "3 min 5 s", "2 h 5 min", "3 d". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${Math.max(0, ms / 1000).toFixed(1)} s`;
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return s % 60 && min < 10 ? `${min} min ${s % 60} s` : `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** "4 s ago", "in 5 min"; a clock a second or two apart from the hub's reads as "just now". */
export function formatRelative(date: Date, now: number): string {
  const diff = now - date.getTime();
  if (Math.abs(diff) < 1_500) return "just now";
  const span = formatDuration(Math.abs(diff)).replace(/^(\d+)\.\d s$/, "$1 s");
  return diff > 0 ? `${span} ago` : `in ${span}`;
}

export function formatDateTime(date: Date): string {
  return date.toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}
