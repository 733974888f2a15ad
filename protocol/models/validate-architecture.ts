import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { expectedInputShape, type ModelSpec } from "../model-spec";
import { estimateParameters, type LayerEntry } from "./estimate-parameters";
import { checkLayer, type ArchitectureIssue } from "./layer-policy";

export type { ArchitectureIssue } from "./layer-policy";

export const ARCHITECTURE_LIMITS = {
  maxParameters: 50_000_000,
  maxLayers: 200,
  /** The JSON is stored in every project revision and hashed; a few hundred KiB is plenty. */
  maxJsonBytes: 512 * 1024,
} as const;

const ZLayerList = z.array(z.unknown()).min(1, "The model has no layers").max(ARCHITECTURE_LIMITS.maxLayers);

/** TF.js `model.toJSON()` / Keras `to_json()`: what `model.json` carries as `modelTopology`. */
const ZTopology = z.strictObject({
  class_name: z.string(),
  config: z.looseObject({ name: z.string().optional(), layers: ZLayerList }),
  keras_version: z.string().max(64).optional(),
  backend: z.string().max(64).optional(),
});

/** A whole `model.json` is accepted for the topology; weights travel separately as a model version. */
const ZModelJson = z.strictObject({
  modelTopology: ZTopology,
  format: z.string().max(64).optional(),
  generatedBy: z.string().max(128).optional(),
  convertedBy: z.string().max(128).nullable().optional(),
  // Which weight files the topology's weights are in; read (and checked) only when weights are uploaded.
  weightsManifest: z.array(z.unknown()).max(1000).optional(),
  userDefinedMetadata: z.record(z.string(), z.unknown()).optional(),
});

const ZArchitecture = z.union([ZModelJson.transform((m) => m.modelTopology), ZTopology]);
type Topology = z.infer<typeof ZTopology>;

/** `[[name, nodeIndex, tensorIndex], ...]` as Keras serialises a Functional model's ends. */
const ZTensorRefs = z
  .array(z.tuple([z.string(), z.number().int(), z.number().int()]))
  .length(1, "Exactly one input and one output are supported");
const ZFunctionalConfig = z.strictObject({
  name: z.string().optional(),
  layers: ZLayerList,
  input_layers: ZTensorRefs,
  output_layers: ZTensorRefs,
});
/** Inbound node kwargs could carry arbitrary objects into TF.js; a plain graph never needs them. */
const ZInboundNodes = z.array(z.array(z.tuple([z.string(), z.number().int(), z.number().int(), z.strictObject({})])));
const ZFunctionalLayer = z.looseObject({ name: z.string(), inbound_nodes: ZInboundNodes });

export interface ArchitectureSummary {
  kind: "Sequential" | "Functional";
  parameterCount: number;
  inputShape: (number | null)[];
  outputShape: (number | null)[];
  outputActivation: string;
}

export type ArchitectureValidation =
  { ok: true; summary: ArchitectureSummary } | { ok: false; issues: ArchitectureIssue[] };

export interface ValidateArchitectureOptions {
  maxParameters?: number;
}

const overLimit = (count: number, limit: number): ArchitectureIssue => ({
  where: "architecture",
  message: `The model has ${count} parameters; the limit is ${limit}`,
});
const fail = (issues: ArchitectureIssue[]): ArchitectureValidation => ({ ok: false, issues });

function zodIssues(error: z.ZodError, prefix: string): ArchitectureIssue[] {
  return error.issues.map((i) => ({ where: [prefix, ...i.path.map(String)].join("."), message: i.message }));
}

/** The structure and allow-list checks that run before TF.js is given the JSON. */
function checkStructure(
  topology: Topology,
): { kind: ArchitectureSummary["kind"]; outputLayerName: string | null } | ArchitectureIssue[] {
  const layers = topology.config.layers;
  const issues = layers.flatMap((layer, i) => checkLayer(layer, i));
  if (topology.class_name === "Sequential") {
    const extra = Object.keys(topology.config).filter((k) => k !== "name" && k !== "layers");
    issues.push(...extra.map((k) => ({ where: `config.${k}`, message: `unknown config field "${k}"` })));
    layers.forEach((layer, i) => {
      const extraKeys =
        typeof layer === "object" && layer !== null
          ? Object.keys(layer).filter((k) => k !== "class_name" && k !== "config")
          : [];
      issues.push(
        ...extraKeys.map((k) => ({
          where: `layers[${i}].${k}`,
          message: `unknown field "${k}" in a Sequential layer`,
        })),
      );
    });
    return issues.length > 0 ? issues : { kind: "Sequential", outputLayerName: null };
  }
  if (topology.class_name === "Model" || topology.class_name === "Functional") {
    const config = ZFunctionalConfig.safeParse(topology.config);
    if (!config.success) return [...issues, ...zodIssues(config.error, "config")];
    layers.forEach((layer, i) => {
      const parsed = ZFunctionalLayer.safeParse(layer);
      if (!parsed.success) issues.push(...zodIssues(parsed.error, `layers[${i}]`));
    });
    const output = config.data.output_layers[0];
    return issues.length > 0 ? issues : { kind: "Functional", outputLayerName: output ? output[0] : null };
  }
  return [
    {
      where: "class_name",
      message: `"${topology.class_name}" models are not supported; use a Sequential or Functional model`,
    },
  ];
}

/** The activation applied last, read from the JSON because TF.js does not expose it uniformly. */
function outputActivation(topology: Topology, outputLayerName: string | null): string | null {
  const layers = topology.config.layers.filter(
    (l): l is { class_name: string; config: Record<string, unknown>; name?: unknown } =>
      typeof l === "object" && l !== null,
  );
  const last = outputLayerName === null ? layers.at(-1) : layers.find((l) => l.name === outputLayerName);
  if (last === undefined) return null;
  if (last.class_name === "ReLU") return "relu";
  if (!["Dense", "Activation", "Conv2D", "DepthwiseConv2D", "SeparableConv2D"].includes(last.class_name)) return null;
  const activation = last.config.activation;
  return typeof activation === "string" ? activation : "linear";
}

function checkTask(
  spec: Pick<ModelSpec, "task" | "classes">,
  shape: (number | null)[],
  activation: string | null,
): ArchitectureIssue[] {
  const got = `${JSON.stringify(shape)} with ${activation ?? "no"} activation`;
  const units = shape.length === 2 && shape[0] === null ? shape[1] : undefined;
  const isMatch =
    spec.task === "binary_classification"
      ? (units === 1 && activation === "sigmoid") || (units === 2 && activation === "softmax")
      : spec.task === "multiclass_classification"
        ? units === spec.classes && activation === "softmax"
        : units === 1 && activation === "linear";
  if (isMatch) return [];
  const want =
    spec.task === "binary_classification"
      ? "[null,1] with sigmoid or [null,2] with softmax"
      : spec.task === "multiclass_classification"
        ? `[null,${String(spec.classes)}] with softmax`
        : "[null,1] with linear";
  return [{ where: "output", message: `${spec.task} needs an output of ${want}; the model outputs ${got}` }];
}

/**
 * Validates a TF.js layers architecture against a model spec. TF.js builds the model only after
 * every allow-list check passes; the built model gives the exact parameter count and shapes.
 * Uses whatever backend is active rather than switching to cpu, because the backend is global
 * and a worker may be training on wasm or a GPU at the same time.
 */
export async function validateArchitecture(
  architecture: unknown,
  spec: Pick<ModelSpec, "task" | "classes" | "input">,
  options: ValidateArchitectureOptions = {},
): Promise<ArchitectureValidation> {
  const maxParameters = options.maxParameters ?? ARCHITECTURE_LIMITS.maxParameters;
  const bytes = JSON.stringify(architecture ?? null).length;
  if (bytes > ARCHITECTURE_LIMITS.maxJsonBytes) {
    return fail([
      {
        where: "architecture",
        message: `The architecture JSON is ${bytes} bytes; the limit is ${ARCHITECTURE_LIMITS.maxJsonBytes}`,
      },
    ]);
  }
  const parsed = ZArchitecture.safeParse(architecture);
  if (!parsed.success) return fail(zodIssues(parsed.error, "architecture"));
  const topology = parsed.data;
  const structure = checkStructure(topology);
  if (Array.isArray(structure)) return fail(structure);

  // checkLayer has confirmed every entry is {class_name, config}.
  const estimate = estimateParameters(topology.config.layers as LayerEntry[], structure.kind === "Functional");
  if ("problem" in estimate)
    return fail([{ where: "architecture", message: `The model's size cannot be worked out: ${estimate.problem}` }]);
  if (estimate.parameters > maxParameters) return fail([overLimit(estimate.parameters, maxParameters)]);

  await tf.ready();
  let model: tf.LayersModel;
  try {
    // No custom objects: only classes TF.js registers itself, already narrowed by the allow-list.
    model = await tf.models.modelFromJSON({ modelTopology: topology } as Parameters<typeof tf.models.modelFromJSON>[0]);
  } catch (error) {
    return fail([
      {
        where: "architecture",
        message: `TF.js could not build the model: ${error instanceof Error ? error.message : String(error)}`,
      },
    ]);
  }
  try {
    const input = model.inputs.length === 1 ? model.inputs[0] : undefined;
    const output = model.outputs.length === 1 ? model.outputs[0] : undefined;
    if (input === undefined || output === undefined) {
      return fail([{ where: "architecture", message: "The model must have exactly one input and one output" }]);
    }
    const issues: ArchitectureIssue[] = [];
    const parameterCount = model.countParams();
    if (parameterCount > maxParameters) {
      issues.push(overLimit(parameterCount, maxParameters));
    }
    const want = expectedInputShape(spec.input);
    if (JSON.stringify(input.shape) !== JSON.stringify(want)) {
      issues.push({
        where: "input",
        message: `The input spec needs an input shape of ${JSON.stringify(want)}; the model takes ${JSON.stringify(input.shape)}`,
      });
    }
    const activation = outputActivation(topology, structure.outputLayerName);
    issues.push(...checkTask(spec, output.shape, activation));
    if (issues.length > 0) return fail(issues);
    return {
      ok: true,
      summary: {
        kind: structure.kind,
        parameterCount,
        inputShape: input.shape,
        outputShape: output.shape,
        outputActivation: activation ?? "linear",
      },
    };
  } finally {
    model.dispose();
  }
}
