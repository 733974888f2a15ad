import type { Metadata } from "next";
import { PageHeader } from "@/app/_components/ui/page-header";
import { AuditLog } from "./audit-log";
import { ChainStatus } from "./chain-status";

export const metadata: Metadata = { title: "Audit log" };

export default function AuditPage() {
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every governed action, newest first. Each event carries a hash of the one before it, so any later change to history breaks the chain."
      />
      <div className="space-y-6">
        <ChainStatus />
        <AuditLog />
      </div>
    </>
  );
}
