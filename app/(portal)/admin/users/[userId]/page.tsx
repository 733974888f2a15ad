import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ROLE_LABELS } from "@/server/auth/permissions";
import { ZUserIdInput } from "@/server/users/users.schema";
import { UserDetail } from "./user-detail";

export const metadata: Metadata = { title: "User" };

export default async function UserPage({ params }: { params: Promise<{ userId: string }> }) {
  const { userId } = await params;
  if (!ZUserIdInput.safeParse({ userId }).success) notFound();
  return <UserDetail userId={userId} roleLabels={ROLE_LABELS} />;
}
