import { describe, expect, test } from "vitest";
import { readDicom } from "../imaging/dicom-file";
import { writeSeries } from "../imaging/synthetic-series";
import { ZSitePolicy } from "../policy";
import { createTestGate } from "../test-support/gate-fixture";
import { TaskError } from "./failures";

/**
 * No DICOM header value leaves the site: a result that carries a patient's name or ID, a study
 * date or a UID the worker read from an image, or anything shaped like a DICOM UID, is refused by
 * the release gate whatever field it hides in.
 */
const task = { taskId: "t", kind: "site_inventory" as const, payload: {} };
const inventory = (name: string) => ({
  persons: 400,
  observationYears: 2000,
  imagesByModality: { CT: 120 },
  topConditions: [{ conceptId: 443454, name, persons: 60 }],
});

describe("the release gate and DICOM identifiers", () => {
  test("refuses a header value the worker read, and any DICOM UID; lets the usual text through", async () => {
    const [file] = writeSeries({
      modality: "CT",
      seed: "gate",
      patient: { id: "RJZ-00471130", name: "DOE^JANE", birthDate: "19470612", sex: "F" },
      studyDate: "20240229",
      rows: 2,
      columns: 2,
      slices: [new Float32Array(4)],
    });
    await readDicom(file!.bytes);
    const { gate, ledger } = createTestGate(ZSitePolicy.parse({ site: "KCH", allowedTaskKinds: ["site_inventory"] }));
    for (const leak of [
      "RJZ-00471130",
      "Cerebral infarction (DOE^JANE)",
      "seen 20240229",
      "19470612",
      "study 2.25.1234567890.1.2.3",
    ]) {
      const refusal = (() => {
        try {
          gate.release(task, inventory(leak));
          return null;
        } catch (error) {
          return error;
        }
      })();
      expect(refusal, leak).toBeInstanceOf(TaskError);
      expect((refusal as TaskError).failure).toEqual({ reason: "result_check_failed" });
      expect((refusal as TaskError).detail).toMatch(/^the result holds a DICOM (UID|header value)$/);
    }
    expect(ledger.list()).toHaveLength(0);
    expect(gate.release(task, inventory("Cerebral infarction"))).toMatchObject({ type: "complete" });
  });
});
