/**
 * The allow-list a model architecture must pass before TF.js ever sees it. TF.js deserialises by
 * class name from a global registry, so anything registered there (by us, by a dependency, or by
 * a future version) would otherwise become reachable from an uploaded file. We therefore name
 * every layer class, activation, initializer, regularizer, constraint and config key we accept,
 * and refuse the rest, so a researcher's JSON stays declarative data.
 */

export const ALLOWED_LAYERS = [
  "InputLayer",
  "Dense",
  "Conv2D",
  "DepthwiseConv2D",
  "SeparableConv2D",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "GlobalMaxPooling2D",
  "Flatten",
  "Dropout",
  "BatchNormalization",
  "Activation",
  "ReLU",
  "Reshape",
] as const;

export const ALLOWED_ACTIVATIONS = [
  "linear",
  "relu",
  "relu6",
  "elu",
  "selu",
  "sigmoid",
  "hard_sigmoid",
  "tanh",
  "softmax",
  "softplus",
  "softsign",
  "swish",
] as const;

const ALLOWED_SERIALIZED: Record<"initializer" | "regularizer" | "constraint", readonly string[]> = {
  initializer: [
    "Zeros",
    "Ones",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LeCunNormal",
    "LeCunUniform",
    "Orthogonal",
  ],
  regularizer: ["L1L2", "L1", "L2"],
  constraint: ["MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"],
};

/** Every plain config key the allowed layers serialise; an unknown key is refused, not ignored. */
const ALLOWED_PLAIN_KEYS = new Set([
  "name",
  "trainable",
  "dtype",
  "batch_input_shape",
  "input_shape",
  "batch_size",
  "sparse",
  "ragged",
  "units",
  "use_bias",
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "dilation_rate",
  "depth_multiplier",
  "pool_size",
  "rate",
  "noise_shape",
  "seed",
  "axis",
  "momentum",
  "epsilon",
  "center",
  "scale",
  "target_shape",
  "max_value",
  "keepdims",
]);

export interface ArchitectureIssue {
  /** Where it is, e.g. `layers[2] "dense_1".kernel_initializer`, so the researcher can find it. */
  where: string;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPlainValue(value: unknown): boolean {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return true;
  return Array.isArray(value) && value.every((v) => v === null || typeof v === "number" || typeof v === "string");
}

function serializedKind(key: string): keyof typeof ALLOWED_SERIALIZED | null {
  if (key.endsWith("_initializer")) return "initializer";
  if (key.endsWith("_regularizer")) return "regularizer";
  if (key.endsWith("_constraint")) return "constraint";
  return null;
}

function checkSerialized(kind: keyof typeof ALLOWED_SERIALIZED, value: unknown, where: string): ArchitectureIssue[] {
  if (value === null) return [];
  if (!isRecord(value) || typeof value.class_name !== "string") {
    return [{ where, message: `must be null or a {class_name, config} ${kind}` }];
  }
  const allowed = ALLOWED_SERIALIZED[kind];
  if (!allowed.includes(value.class_name)) {
    return [{ where, message: `${kind} "${value.class_name}" is not allowed; use one of ${allowed.join(", ")}` }];
  }
  const config = value.config ?? {};
  if (!isRecord(config) || !Object.values(config).every(isPlainValue)) {
    return [{ where: `${where}.config`, message: `${kind} config may only hold numbers, strings, booleans and null` }];
  }
  return [];
}

/** Checks one layer entry: `{class_name, config}` plus, in Functional models, `name`/`inbound_nodes`. */
export function checkLayer(layer: unknown, index: number): ArchitectureIssue[] {
  if (!isRecord(layer) || typeof layer.class_name !== "string" || !isRecord(layer.config)) {
    return [{ where: `layers[${index}]`, message: "must be an object with class_name and config" }];
  }
  const config = layer.config;
  const label = typeof config.name === "string" ? `layers[${index}] "${config.name}"` : `layers[${index}]`;
  const className = layer.class_name;
  if (!(ALLOWED_LAYERS as readonly string[]).includes(className)) {
    const hint = className === "Lambda" ? " (Lambda layers run code and are never accepted)" : "";
    return [
      {
        where: label,
        message: `layer type "${className}" is not allowed${hint}; use one of ${ALLOWED_LAYERS.join(", ")}`,
      },
    ];
  }
  const issues: ArchitectureIssue[] = [];
  for (const [key, value] of Object.entries(config)) {
    const where = `${label}.${key}`;
    const kind = serializedKind(key);
    if (kind !== null) {
      issues.push(...checkSerialized(kind, value, where));
    } else if (key === "activation") {
      if (typeof value !== "string" || !(ALLOWED_ACTIVATIONS as readonly string[]).includes(value)) {
        issues.push({
          where,
          message: `activation ${JSON.stringify(value)} is not allowed; use one of ${ALLOWED_ACTIVATIONS.join(", ")}`,
        });
      }
    } else if (key === "dtype") {
      // Other dtypes change memory and kernels in ways the site's training code does not expect.
      if (value !== "float32") issues.push({ where, message: 'dtype must be "float32"' });
    } else if (key === "data_format") {
      // Sites feed NHWC tensors, and the parameter estimate assumes channels last.
      if (value !== "channels_last") issues.push({ where, message: 'data_format must be "channels_last"' });
    } else if (!ALLOWED_PLAIN_KEYS.has(key)) {
      issues.push({ where, message: `unknown config field "${key}"` });
    } else if (!isPlainValue(value)) {
      issues.push({ where, message: "must be a number, string, boolean, null or a list of them" });
    }
  }
  return issues;
}
