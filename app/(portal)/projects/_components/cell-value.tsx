import type { Cell } from "@/protocol/contract";

/** A count from a site; a suppressed one reads "< threshold" because it may be anything from 0 up. */
export function CellValue({ cell, threshold }: { cell: Cell; threshold: number }) {
  if (cell === "suppressed") {
    return (
      <abbr
        title={`Suppressed at the site: fewer than ${threshold} people (small-number suppression; may be zero)`}
        className="cursor-help no-underline"
      >
        &lt; {threshold}
      </abbr>
    );
  }
  return <>{cell.toLocaleString("en-GB")}</>;
}
