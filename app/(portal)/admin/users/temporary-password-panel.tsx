"use client";

import { OneTimeSecretPanel } from "@/app/_components/one-time-secret-panel";

/** A new user's or a reset temporary password, shown once. */
export function TemporaryPasswordPanel({
  title,
  email,
  password,
  onDismiss,
}: {
  title: string;
  email: string;
  password: string;
  onDismiss: () => void;
}) {
  return (
    <OneTimeSecretPanel
      title={title}
      noun="password"
      secret={password}
      testId="temporary-password"
      onDismiss={onDismiss}
    >
      Temporary password for <span className="font-medium break-all">{email}</span>. Give it to them through a secure
      channel; they must choose their own password when they first sign in.
    </OneTimeSecretPanel>
  );
}
