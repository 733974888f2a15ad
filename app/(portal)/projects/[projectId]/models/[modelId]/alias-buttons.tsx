"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Button } from "@/app/_components/ui/button";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { ModelVersionRow } from "../_components/types";

const ALIASES = ["champion", "candidate"] as const;

/** Moves an alias onto this version; the hub audits the move with where the alias pointed before. */
export function AliasButtons({ projectId, version }: { projectId: string; version: ModelVersionRow }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const setAlias = useMutation(
    trpc.models.setAlias.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.models.pathFilter()) }),
  );
  const missing = ALIASES.filter((a) => !version.aliases.includes(a));
  if (missing.length === 0) return null;
  return (
    <span className="flex flex-col gap-1">
      <span className="flex flex-wrap gap-1.5">
        {missing.map((alias) => (
          <Button
            key={alias}
            type="button"
            variant="secondary"
            className="whitespace-nowrap"
            disabled={setAlias.isPending}
            onClick={() => setAlias.mutate({ projectId, versionId: version.id, alias })}
            aria-label={`Mark ${alias}: version ${version.number}`}
          >
            Mark {alias}
          </Button>
        ))}
      </span>
      {setAlias.error ? (
        <span role="alert" className="text-xs text-red-700">
          {messageOf(setAlias.error)}
        </span>
      ) : null}
    </span>
  );
}
