/**
 * Counts parameters from the layers JSON alone, without TF.js. Building a model allocates every
 * weight, so a pasted Dense(100000) after a Flatten would exhaust the hub's memory before
 * `countParams()` could refuse it; this estimate refuses it first. It only has to understand the
 * allow-listed layers, all of which take one input, so shapes flow along a chain (or a tree, for
 * Functional models). When a shape cannot be worked out the model is refused: TF.js is never
 * given a model whose size is not known first.
 */

type Shape = number[];
export interface LayerEntry {
  class_name: string;
  config: Record<string, unknown>;
  name?: unknown;
  inbound_nodes?: unknown;
}

const pair = (value: unknown, fallback: number): [number, number] => {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "number") return [value[0], value[1]];
  return [fallback, fallback];
};

function spatial(size: number, kernel: number, stride: number, padding: unknown, dilation = 1): number {
  const extent = (kernel - 1) * dilation + 1;
  return padding === "same" ? Math.ceil(size / stride) : Math.floor((size - extent) / stride) + 1;
}

/** Input shape without the batch dimension, from `batch_input_shape` or `input_shape`. */
function declaredInput(config: Record<string, unknown>): Shape | null {
  const batch = config.batch_input_shape;
  const raw = Array.isArray(batch) ? batch.slice(1) : config.input_shape;
  if (!Array.isArray(raw) || !raw.every((d): d is number => typeof d === "number" && d > 0)) return null;
  return raw;
}

/** One layer's parameter count and output shape, or null when the shape is not understood. */
function step(layer: LayerEntry, input: Shape): { params: number; output: Shape } | null {
  const c = layer.config;
  const channels = input.at(-1) ?? 0;
  const bias = (n: number) => (c.use_bias === false ? 0 : n);
  const conv = (outChannels: number, weights: number) => {
    if (input.length !== 3 || input[0] === undefined || input[1] === undefined) return null;
    const [kh, kw] = pair(c.kernel_size, 1);
    const [sh, sw] = pair(c.strides, 1);
    const [dh, dw] = pair(c.dilation_rate, 1);
    const output = [spatial(input[0], kh, sh, c.padding, dh), spatial(input[1], kw, sw, c.padding, dw), outChannels];
    return { params: weights * kh * kw, output };
  };
  switch (layer.class_name) {
    case "InputLayer":
      return { params: 0, output: input };
    case "Dense": {
      const units = Number(c.units);
      return { params: channels * units + bias(units), output: [...input.slice(0, -1), units] };
    }
    case "Conv2D": {
      const filters = Number(c.filters);
      const result = conv(filters, channels * filters);
      return result && { ...result, params: result.params + bias(filters) };
    }
    case "DepthwiseConv2D": {
      const out = channels * Number(c.depth_multiplier ?? 1);
      const result = conv(out, out);
      return result && { ...result, params: result.params + bias(out) };
    }
    case "SeparableConv2D": {
      const depth = channels * Number(c.depth_multiplier ?? 1);
      const filters = Number(c.filters);
      const result = conv(filters, depth);
      return result && { ...result, params: result.params + depth * filters + bias(filters) };
    }
    case "MaxPooling2D":
    case "AveragePooling2D": {
      if (input.length !== 3 || input[0] === undefined || input[1] === undefined) return null;
      const [ph, pw] = pair(c.pool_size, 2);
      const [sh, sw] = c.strides === null || c.strides === undefined ? [ph, pw] : pair(c.strides, 1);
      return {
        params: 0,
        output: [spatial(input[0], ph, sh, c.padding), spatial(input[1], pw, sw, c.padding), channels],
      };
    }
    case "GlobalAveragePooling2D":
    case "GlobalMaxPooling2D":
      return { params: 0, output: [channels] };
    case "Flatten":
      return { params: 0, output: [input.reduce((a, b) => a * b, 1)] };
    case "BatchNormalization":
      // Moving mean and variance always exist; gamma and beta unless scale/center is off.
      return { params: channels * (2 + (c.scale === false ? 0 : 1) + (c.center === false ? 0 : 1)), output: input };
    case "Reshape": {
      // TF.js writes the inferred dimension (-1) as null when it serialises.
      const target = Array.isArray(c.target_shape) ? c.target_shape.map((d) => (d === null ? -1 : Number(d))) : [];
      const total = input.reduce((a, b) => a * b, 1);
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return { params: 0, output: target.map((d) => (d === -1 ? total / known : d)) };
    }
    default:
      return { params: 0, output: input };
  }
}

/** The layer feeding a Functional layer: `inbound_nodes[0][0][0]`, already checked by the validator. */
function firstInbound(nodes: unknown): string | null {
  const node: unknown =
    Array.isArray(nodes) && Array.isArray(nodes[0]) && Array.isArray(nodes[0][0]) ? nodes[0][0][0] : null;
  return typeof node === "string" ? node : null;
}

export type ParameterEstimate = { parameters: number } | { problem: string };

function notUnderstood(layer: LayerEntry, index: number) {
  const name = [layer.name, layer.config.name].find((n) => typeof n === "string") ?? `number ${index + 1}`;
  return {
    problem: `the output shape of layer ${String(name)} (${layer.class_name}) cannot be worked out from its input`,
  };
}

/** A Sequential model is a chain in list order. */
function estimateChain(layers: readonly LayerEntry[]): ParameterEstimate {
  let input: Shape | null = null;
  let total = 0;
  for (const [index, layer] of layers.entries()) {
    input ??= declaredInput(layer.config);
    if (input === null) return { problem: "the first layer declares no input shape (batch_input_shape)" };
    const result = step(layer, input);
    if (!isUnderstood(result)) return notUnderstood(layer, index);
    total += result.params;
    input = result.output;
  }
  return { parameters: total };
}

/**
 * A Functional model is a graph whose layers may be listed in any order (TF.js builds them in
 * dependency order), so each layer's shape is resolved from its inbound layer by name, each
 * layer once; a reference to a missing layer or a cycle is refused.
 */
function estimateGraph(layers: readonly LayerEntry[]): ParameterEstimate {
  const byName = new Map<string, { layer: LayerEntry; index: number }>();
  for (const [index, layer] of layers.entries()) {
    if (typeof layer.name !== "string") return { problem: `layer ${index} has no name` };
    if (byName.has(layer.name)) return { problem: `two layers are named ${layer.name}` };
    byName.set(layer.name, { layer, index });
  }
  const shapes = new Map<string, Shape>();
  let total = 0;
  for (const [name] of byName) {
    // Walk back to the first layer whose input is known, then resolve forwards: no recursion, so a deep chain is fine.
    const path: string[] = [];
    let at: string | null = name;
    while (at !== null && !shapes.has(at)) {
      if (path.includes(at)) return { problem: `layer ${at} is its own input through a cycle` };
      const entry = byName.get(at);
      if (!entry)
        return { problem: `layer ${path.at(-1) ?? name} takes its input from ${at}, which is not in the model` };
      path.push(at);
      at = entry.layer.class_name === "InputLayer" ? null : firstInbound(entry.layer.inbound_nodes);
      if (at === null && entry.layer.class_name !== "InputLayer")
        return { problem: `layer ${entry.layer.name as string} has no inbound layer` };
    }
    for (const current of path.reverse()) {
      const { layer, index } = byName.get(current)!;
      const inbound = firstInbound(layer.inbound_nodes);
      const input = layer.class_name === "InputLayer" ? declaredInput(layer.config) : shapes.get(inbound!)!;
      if (input === null) return { problem: `input layer ${current} declares no shape (batch_input_shape)` };
      const result = step(layer, input);
      if (!isUnderstood(result)) return notUnderstood(layer, index);
      total += result.params;
      shapes.set(current, result.output);
    }
  }
  return { parameters: total };
}

function isUnderstood(result: ReturnType<typeof step>): result is { params: number; output: Shape } {
  return result !== null && result.output.every((d) => Number.isInteger(d) && d > 0) && Number.isFinite(result.params);
}

/** Total parameters of an allow-listed Sequential or single-input Functional layer list, whatever order the layers are listed in. */
export function estimateParameters(layers: readonly LayerEntry[], isFunctional: boolean): ParameterEstimate {
  return isFunctional ? estimateGraph(layers) : estimateChain(layers);
}
