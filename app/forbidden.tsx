import Link from "next/link";
import { StatusMessage } from "./_components/status-message";
import { Button } from "./_components/ui/button";

export default function Forbidden() {
  return (
    <StatusMessage
      as="main"
      status="403"
      title="You do not have access to this page"
      actions={
        <Button asChild>
          <Link href="/">Back to home</Link>
        </Button>
      }
    >
      <p>Your roles do not include this area. If you need it, ask a platform admin to grant the role.</p>
    </StatusMessage>
  );
}
