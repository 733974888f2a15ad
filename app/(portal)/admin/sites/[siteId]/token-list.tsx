import { RelativeTime } from "@/app/_components/relative-time";
import { Badge } from "@/app/_components/ui/badge";
import type { SiteTokenRow } from "../site-network-types";

/** Whether a token still lets the worker in, as of `now`. */
export function isTokenActive(token: SiteTokenRow, now: number): boolean {
  return !token.revokedAt && (!token.expiresAt || token.expiresAt.getTime() > now);
}

function TokenState({ token, now }: { token: SiteTokenRow; now: number }) {
  if (token.revokedAt) return <Badge tone="red">Revoked</Badge>;
  if (token.expiresAt && token.expiresAt.getTime() <= now) return <Badge>Expired</Badge>;
  if (token.expiresAt) return <Badge tone="amber">In grace period</Badge>;
  return <Badge tone="green">Active</Badge>;
}

export function TokenList({ tokens, now }: { tokens: SiteTokenRow[]; now: number }) {
  return (
    <ul aria-label="Tokens" className="divide-y divide-slate-200 rounded-md border border-slate-200">
      {tokens.map((token) => (
        <li key={token.id} className="px-3 py-2.5 text-sm">
          <div className="flex items-center justify-between gap-2">
            <code className="font-mono text-slate-900">{token.tokenPrefix}…</code>
            <TokenState token={token} now={now} />
          </div>
          <dl className="mt-1.5 grid grid-cols-2 gap-x-4 gap-y-1 text-xs">
            <div>
              <dt className="inline text-slate-500">Created </dt>
              <dd className="inline">
                <RelativeTime date={token.createdAt} />
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-500">Last used </dt>
              <dd className="inline">
                <RelativeTime date={token.lastUsedAt} />
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-500">Expires </dt>
              <dd className="inline">
                <RelativeTime date={token.expiresAt} fallback="no expiry" />
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-500">Revoked </dt>
              <dd className="inline">
                <RelativeTime date={token.revokedAt} fallback="—" />
              </dd>
            </div>
          </dl>
        </li>
      ))}
    </ul>
  );
}
