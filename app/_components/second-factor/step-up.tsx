"use client";

import { isTRPCClientError } from "@trpc/client";
import { useCallback, useRef, useState, type ReactNode } from "react";
import { Dialog, DialogContent } from "@/app/_components/ui/dialog";
import { SecondFactorMethods } from "./second-factor-methods";

/** True for the hub's step-up refusal: a second factor proved in the last 5 minutes is needed. */
export function isStepUpRequired(error: unknown): boolean {
  return isTRPCClientError(error) && (error.data as { stepUp?: boolean } | undefined)?.stepUp === true;
}

type Pending = { resolve: () => void; reject: () => void };

/**
 * Runs a sensitive call; when the hub asks for a step-up, a dialog asks for the second factor and
 * the call is made again once it is proved. Cancelling gives the caller the original refusal.
 * Render `dialog` once in the component that uses it.
 */
export function useStepUp(): { withStepUp: <T>(call: () => Promise<T>) => Promise<T>; dialog: ReactNode } {
  const [isOpen, setIsOpen] = useState(false);
  const pending = useRef<Pending | null>(null);

  const withStepUp = useCallback(async <T,>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (!isStepUpRequired(error)) throw error;
      await new Promise<void>((resolve, reject) => {
        pending.current = { resolve, reject: () => reject(error) };
        setIsOpen(true);
      });
      return call();
    }
  }, []);

  function settle(verified: boolean) {
    setIsOpen(false);
    const waiting = pending.current;
    pending.current = null;
    if (verified) waiting?.resolve();
    else waiting?.reject();
  }

  const dialog = (
    <Dialog open={isOpen} onOpenChange={(open) => (open ? undefined : settle(false))}>
      <DialogContent
        title="Confirm it's you"
        description="This action needs your second factor from the last 5 minutes. Confirm it and we will carry on."
      >
        {isOpen ? <SecondFactorMethods onVerified={() => settle(true)} /> : null}
      </DialogContent>
    </Dialog>
  );
  return { withStepUp, dialog };
}
