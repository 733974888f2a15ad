import { z } from "zod";

/**
 * How an image model sees a scan: the intensity window, which slices of the series and (in the
 * model spec's height and width) the size. One declaration, applied by the site worker's one
 * preprocessing module (`workers/imaging/preprocess.ts`) at training and at evaluation alike.
 */

/** Standard CT display windows in Hounsfield units (level, width). */
export const WINDOW_PRESETS = {
  brain: { level: 40, width: 80 },
  /** Narrow window that makes early ischaemic hypodensity visible. */
  stroke: { level: 40, width: 40 },
  soft_tissue: { level: 50, width: 400 },
  lung: { level: -600, width: 1500 },
  bone: { level: 400, width: 1800 },
} as const;
export type WindowPreset = keyof typeof WINDOW_PRESETS;
const PRESET_NAMES = Object.keys(WINDOW_PRESETS) as [WindowPreset, ...WindowPreset[]];

export const MAX_STACKED_SLICES = 15;

export const ZImageWindow = z.discriminatedUnion("kind", [
  /** A CT preset, in Hounsfield units. */
  z.strictObject({ kind: z.literal("preset"), preset: z.enum(PRESET_NAMES) }),
  /** An explicit level and width in the modality's units (Hounsfield units for CT). */
  z.strictObject({
    kind: z.literal("level_width"),
    level: z.number().min(-5000).max(50_000),
    width: z.number().gt(0, "The window width must be positive").max(100_000),
  }),
  /** Per-image robust windowing (median and spread of the foreground): for MR, whose units differ by scanner. */
  z.strictObject({ kind: z.literal("robust") }),
]);
export type ImageWindow = z.infer<typeof ZImageWindow>;

export const ZSliceSelection = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("centre") }),
  /** 2.5D: the centre slice and its neighbours, one per channel (count = the spec's channels). */
  z.strictObject({
    kind: z.literal("stack"),
    count: z
      .number()
      .int()
      .min(1)
      .max(MAX_STACKED_SLICES)
      .refine((n) => n % 2 === 1, "Stack an odd number of slices, so the centre slice is in the middle"),
  }),
  /** Maximum-intensity projection over the central `slab` slices, or the whole series when omitted. */
  z.strictObject({ kind: z.literal("mip"), slab: z.number().int().min(1).max(2048).optional() }),
]);
export type SliceSelection = z.infer<typeof ZSliceSelection>;

export const ZImagePreprocessing = z.strictObject({ window: ZImageWindow, slices: ZSliceSelection });
export type ImagePreprocessing = z.infer<typeof ZImagePreprocessing>;

/** What a spec without a preprocessing block gets: the per-image robust window on the centre slice. */
export const DEFAULT_PREPROCESSING: ImagePreprocessing = { window: { kind: "robust" }, slices: { kind: "centre" } };

/** Channels the slice selection fills: a stack fills one per slice; otherwise greyscale (1) or the same grey in 3. */
export function stackedChannels(preprocessing: ImagePreprocessing | undefined): number | undefined {
  return preprocessing?.slices.kind === "stack" ? preprocessing.slices.count : undefined;
}

/** How a person reads the preprocessing, e.g. "stroke window (level 40, width 40), 2.5D stack of 3 slices". */
export function describePreprocessing(preprocessing: ImagePreprocessing | undefined): string {
  const { window, slices } = preprocessing ?? DEFAULT_PREPROCESSING;
  const windowText =
    window.kind === "robust"
      ? "per-image robust window"
      : window.kind === "preset"
        ? `${window.preset.replace("_", " ")} window (level ${WINDOW_PRESETS[window.preset].level}, width ${WINDOW_PRESETS[window.preset].width} HU)`
        : `window level ${window.level}, width ${window.width}`;
  const slicesText =
    slices.kind === "centre"
      ? "centre slice"
      : slices.kind === "stack"
        ? `2.5D stack of ${slices.count} slices`
        : `maximum-intensity projection${slices.slab ? ` over ${slices.slab} slices` : ""}`;
  return `${windowText}, ${slicesText}`;
}
