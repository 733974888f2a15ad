import Link from "next/link";
import { StatusMessage } from "@/app/_components/status-message";
import { Button } from "@/app/_components/ui/button";

/** A portal page asked for something that does not exist (or that the viewer may not know exists). */
export default function PortalNotFound() {
  return (
    <StatusMessage
      status="404"
      title="Not found"
      actions={
        <Button asChild>
          <Link href="/">Back to home</Link>
        </Button>
      }
    >
      <p>
        There is nothing at this address, or it is not shared with you. Check the link you followed, or go on from the
        menu above.
      </p>
    </StatusMessage>
  );
}
