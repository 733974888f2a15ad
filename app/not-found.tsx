import Link from "next/link";
import { StatusMessage } from "./_components/status-message";
import { Button } from "./_components/ui/button";

/** Any address that matches no page. */
export default function NotFound() {
  return (
    <StatusMessage
      as="main"
      status="404"
      title="Page not found"
      actions={
        <Button asChild>
          <Link href="/">Back to home</Link>
        </Button>
      }
    >
      <p>Check the address, or start again from the home page.</p>
    </StatusMessage>
  );
}
