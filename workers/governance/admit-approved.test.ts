import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Bundle } from "@/protocol/bundle";
import { canonicalBundleJson, hashArchitecture, hashBundle } from "@/protocol/bundle-hash";
import { buildTemplate } from "@/protocol/models/templates";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { ZSitePolicy } from "../policy";
import { TaskError } from "../release/failures";
import { ANY_AF, STROKE } from "../test-support/signed-approval-scene";
import { createSoftwareAuthenticator, TEST_PORTAL_ORIGIN } from "../test-support/software-authenticator";
import { admitApprovedTask } from "./admit-approved";

/**
 * The site's check of a train or evaluate task against the bundle its approver signed: the model
 * (task, input, outcome and architecture), the rounds, the threshold and the privacy settings.
 */
const approver = createSoftwareAuthenticator();
const approverEntry = {
  name: "Dr A. Approver",
  publicKey: approver.spkiBase64,
  fingerprint: formatFingerprint(parsePublicKey(approver.spkiBase64).fingerprint),
};
const policyInput = { site: "KCH", approvers: [approverEntry], portalOrigins: [TEST_PORTAL_ORIGIN] };
const policy = ZSitePolicy.parse(policyInput);

const input = {
  kind: "tabular" as const,
  features: [
    {
      name: "age",
      from: { source: "demographic" as const, field: "age_at_index" as const },
      encoding: "standardise" as const,
    },
  ],
};
const outcome = { name: "Stroke", conceptIds: [443454], includeDescendants: true };
const architecture = buildTemplate("logistic_regression", { task: "binary_classification", input });
const projectId = randomUUID();

const bundle: Bundle = {
  bundleVersion: 1,
  purpose: "Predict stroke from age at each Trust, trained federated.",
  cohort: STROKE,
  allowedJobKinds: ["cohort_count", "train", "evaluate"],
  outputs: ["cohort_counts", "model_updates", "metrics"],
  privacy: { minCellCount: 10, differentialPrivacy: { minNoiseMultiplier: 1, maxDelta: 1e-5 } },
  maxRounds: 5,
  models: [
    { name: "Risk", task: "binary_classification", input, outcome, architectureSha256: hashArchitecture(architecture) },
  ],
};

const signed = (b: Bundle) => approver.signedGovernance(b, { projectId, siteCode: "KCH" });

const trainPayload = {
  projectId,
  cohort: STROKE,
  model: { task: "binary_classification", input, outcome, architecture },
  round: 1,
  totalRounds: 5,
  minCellCount: 10,
  differentialPrivacy: { noiseMultiplier: 1.1, delta: 1e-6 },
};

function refusal(kind: "train" | "evaluate", payload: Record<string, unknown>, b = bundle): string | null {
  try {
    admitApprovedTask(policy, { kind, payload, governance: signed(b) });
    return null;
  } catch (error) {
    if (!(error instanceof TaskError)) throw error;
    return `${error.failure.reason}: ${error.detail}`;
  }
}

describe("a training task against the signed bundle", () => {
  it("admits a job inside the bundle", () => {
    expect(refusal("train", trainPayload)).toBeNull();
    expect(refusal("evaluate", { ...trainPayload, round: undefined, totalRounds: undefined })).toBeNull();
  });

  it.each([
    [
      "another architecture for the same data",
      {
        model: { ...trainPayload.model, architecture: buildTemplate("mlp", { task: "binary_classification", input }) },
      },
      /^outside_approval: the approved bundle does not list this model \(architecture [0-9a-f]{64}\)$/,
    ],
    [
      "another outcome",
      { model: { ...trainPayload.model, outcome: { ...outcome, conceptIds: [4329847] } } },
      /does not list this model/,
    ],
    ["more rounds than approved", { totalRounds: 6 }, /^outside_approval: the job's 6 rounds exceed the approved 5$/],
    ["no differential privacy", { differentialPrivacy: undefined }, /weaker than the approved bundle requires$/],
    ["less noise", { differentialPrivacy: { noiseMultiplier: 0.5, delta: 1e-6 } }, /weaker than the approved/],
    ["another project", { projectId: randomUUID() }, /^outside_approval: the task is for another project/],
    ["another cohort", { cohort: ANY_AF }, /^outside_approval: the task's cohort is not the approved bundle's cohort$/],
  ])("refuses %s", (_, change, reason) => {
    expect(refusal("train", { ...trainPayload, ...change })).toMatch(reason);
  });

  it("refuses a threshold below the bundle's where the site's own is lower too", () => {
    const lenient = ZSitePolicy.parse({ ...policyInput, minCellCount: 5 });
    const ask = (minCellCount: number) => () =>
      admitApprovedTask(lenient, {
        kind: "train",
        payload: { ...trainPayload, minCellCount },
        governance: signed(bundle),
      });
    expect(ask(5)).toThrow("would suppress below 10, the approved minimum cell count");
    expect(ask(10)).not.toThrow();
  });

  it("refuses where the site rounds counts finer than the bundle's rounding", () => {
    const rounded = { ...bundle, privacy: { ...bundle.privacy, roundingBase: 10 } };
    expect(refusal("train", trainPayload, rounded)).toBe(
      "outside_approval: this site rounds counts to 5, not to multiples of the approved 10",
    );
    const coarse = ZSitePolicy.parse({ ...policyInput, roundingBase: 20 });
    expect(() =>
      admitApprovedTask(coarse, { kind: "train", payload: trainPayload, governance: signed(rounded) }),
    ).not.toThrow();
  });

  it("refuses a kind or an output the bundle does not allow", () => {
    const countsOnly = { ...bundle, allowedJobKinds: ["cohort_count" as const] };
    expect(refusal("train", trainPayload, countsOnly)).toBe(
      "outside_approval: the approved bundle does not allow train tasks",
    );
    const noMetrics = { ...bundle, outputs: ["cohort_counts" as const, "model_updates" as const] };
    expect(refusal("evaluate", trainPayload, noMetrics)).toBe(
      "outside_approval: the approved bundle does not let metrics leave the site",
    );
  });

  it("refuses governance that does not parse, naming the field, rather than failing the claim", () => {
    const governance = signed(bundle);
    const malformed = { ...governance, approval: { ...governance.approval, assertion: { signature: "%%" } } };
    expect(() => admitApprovedTask(policy, { kind: "train", payload: trainPayload, governance: malformed })).toThrow(
      /the task's governance does not parse: approval\.assertion\./,
    );
  });

  it("refuses a signature from the right key over a different bundle than the one sent", () => {
    const governance = signed(bundle);
    const wider = { ...bundle, maxRounds: 50 };
    const swapped = { ...governance, bundleJson: canonicalBundleJson(wider), bundleHash: hashBundle(wider) };
    expect(() => admitApprovedTask(policy, { kind: "train", payload: trainPayload, governance: swapped })).toThrow(
      TaskError,
    );
  });
});

describe("the site policy's approvers", () => {
  const base = { site: "KCH", portalOrigins: [TEST_PORTAL_ORIGIN] };
  const issues = (value: unknown) => {
    const result = ZSitePolicy.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("turns signed approvals on with the first approver, and off without any", () => {
    expect(policy.requireSignedApprovals).toBe(true);
    expect(ZSitePolicy.parse({ site: "KCH" }).requireSignedApprovals).toBe(false);
  });

  it("refuses a fingerprint that does not match the key, naming the right one", () => {
    const other = formatFingerprint(parsePublicKey(createSoftwareAuthenticator().spkiBase64).fingerprint);
    expect(issues({ ...base, approvers: [{ ...approverEntry, fingerprint: other }] })).toEqual([
      `approvers.0.fingerprint: does not match the key, whose fingerprint is ${approverEntry.fingerprint}; copy both again from the portal`,
    ]);
  });

  it("refuses a key that is not a passkey key, approvers without a portal origin, and switching signatures off", () => {
    expect(issues({ ...base, approvers: [{ ...approverEntry, publicKey: "hello" }] })).toEqual([
      "approvers.0.publicKey: not a passkey public key: it is neither an SPKI nor a COSE public key",
    ]);
    expect(issues({ site: "KCH", approvers: [approverEntry] })).toEqual([
      "portalOrigins: list the portal's origin (e.g. https://flip.example.nhs.uk) where the approvers sign",
    ]);
    expect(issues({ ...base, approvers: [approverEntry], requireSignedApprovals: false })).toEqual([
      "requireSignedApprovals: approvers are listed, so signed approvals are required; remove requireSignedApprovals: false",
    ]);
    expect(issues({ ...base, requireSignedApprovals: true })).toEqual([
      "approvers: signed approvals are required: list at least one approver with their public key",
    ]);
    expect(issues({ ...base, portalOrigins: ["https://flip.example.nhs.uk/approvals"] })).toEqual([
      "portalOrigins.0: an origin such as https://flip.example.nhs.uk (https, no path or trailing slash)",
    ]);
  });
});
