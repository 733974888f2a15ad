"use client";

import { useRouter } from "next/navigation";
import { TotpEnrolment } from "@/app/_components/second-factor/totp-enrolment";

/** Passkeys: a "Use a passkey instead" choice joins the authenticator app here. */
export function EnrolFlow() {
  const router = useRouter();
  return (
    <TotpEnrolment
      onDone={() => {
        router.replace("/");
        router.refresh();
      }}
    />
  );
}
