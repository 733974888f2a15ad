import { describe, expect, test } from "vitest";
import { recordAudit } from "@/server/audit/audit.service";
import { findPatientData } from "./patient-data-scan";
import { useTestDatabase } from "./test-db";

/** The scan the federated tests rely on must actually see a leak when there is one. */
const testDb = useTestDatabase();

describe("hub database scan for patient data", () => {
  test("finds person source values, image paths, OMOP keys and site values, and nothing in a clean hub", async () => {
    const db = testDb.db();
    expect(await findPatientData(db, ["27.43"])).toEqual([]);
    await db.transaction((tx) =>
      recordAudit(tx, {
        actor: { type: "system", label: "test" },
        action: "leak.test",
        subject: "x",
        details: {
          who: "KCH-SYN-0000042",
          file: "images/CT/1.2.3.png",
          row: { person_id: 7 },
          bmi: 27.43,
          series: "2.25.123456789012345678901234567890",
          mrn: "KCH-MRN-00000042",
          name: "SYNTHETIC^PERSON42",
        },
      }),
    );
    const leaks = await findPatientData(db, ["27.43", "31.07"]);
    expect(leaks.map((l) => l.what).sort()).toEqual([
      "a DICOM UID",
      "a DICOM patient ID",
      "a DICOM patient name",
      "a person source value",
      "an OMOP row key",
      "an image path",
      "site value 27.43",
    ]);
    expect(new Set(leaks.map((l) => l.table))).toEqual(new Set(["audit_events"]));
  });
});
