"use client";

import { useEffect, useState } from "react";
import { formatDateTime, formatRelative } from "./time-format";

/** The current time, re-read every `intervalMs`, so relative times keep counting between refetches. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "4 s ago" that keeps ticking, with the exact time on hover and for assistive tech. */
export function RelativeTime({ date, fallback = "never" }: { date: Date | null; fallback?: string }) {
  const now = useNow();
  if (!date) return <span className="text-slate-500">{fallback}</span>;
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)} className="tabular-nums">
      {formatRelative(date, now)}
    </time>
  );
}
