import {
  describePreprocessing,
  ZImagePreprocessing,
  type ImagePreprocessing,
  type ImageWindow,
  type SliceSelection,
  type WindowPreset,
} from "@/protocol/image-preprocessing";

/**
 * How the register form holds an image model's preprocessing: one select each for the window and
 * the slices, with their numbers kept (possibly blank) while another choice is shown, so switching
 * back does not lose what was typed. `preprocessingOf` turns it into the spec's block.
 */
export type PreprocessingDraft = {
  window: "robust" | WindowPreset | "level_width";
  level: number | undefined;
  width: number | undefined;
  slices: SliceSelection["kind"];
  count: number | undefined;
  slab: number | undefined;
};

export function emptyPreprocessing(): PreprocessingDraft {
  return { window: "robust", level: 40, width: 80, slices: "centre", count: 3, slab: undefined };
}

const PATH = "spec.input.preprocessing";

/**
 * The spec's preprocessing, or undefined for the robust window on the centre slice: what a spec
 * without the block gets, so such a model stays the same model as one registered through the API.
 * A blank number is sent as NaN so the schema refuses it and `blankPreprocessingMessages` names it.
 */
export function preprocessingOf(draft: PreprocessingDraft): ImagePreprocessing | undefined {
  if (draft.window === "robust" && draft.slices === "centre") return undefined;
  const window: ImageWindow =
    draft.window === "robust"
      ? { kind: "robust" }
      : draft.window === "level_width"
        ? { kind: "level_width", level: draft.level ?? Number.NaN, width: draft.width ?? Number.NaN }
        : { kind: "preset", preset: draft.window };
  const slices: SliceSelection =
    draft.slices === "stack"
      ? { kind: "stack", count: draft.count ?? Number.NaN }
      : draft.slices === "mip"
        ? { kind: "mip", ...(draft.slab === undefined ? {} : { slab: draft.slab }) }
        : { kind: "centre" };
  return { window, slices };
}

/** The channels the spec declares: a stack of k slices feeds k channels; otherwise the researcher's 1 or 3. */
export function channelsOf(draft: PreprocessingDraft, chosen: 1 | 3): number {
  return draft.slices === "stack" && draft.count !== undefined ? draft.count : chosen;
}

/** What to say for a blank box instead of the schema's "expected number". */
export function blankPreprocessingMessages(draft: PreprocessingDraft): Record<string, string> {
  const messages: Record<string, string> = {};
  if (draft.window === "level_width") {
    if (draft.level === undefined) messages[`${PATH}.window.level`] = "Enter the window level";
    if (draft.width === undefined) messages[`${PATH}.window.width`] = "Enter the window width";
  }
  if (draft.slices === "stack" && draft.count === undefined)
    messages[`${PATH}.slices.count`] = "Enter how many slices to stack";
  return messages;
}

/** How sites will read each scan, e.g. "stroke window (level 40, width 40 HU), 2.5D stack of 3 slices"; null while a choice is invalid. */
export function preprocessingSummary(draft: PreprocessingDraft): string | null {
  const preprocessing = preprocessingOf(draft);
  if (preprocessing === undefined) return describePreprocessing(undefined);
  const parsed = ZImagePreprocessing.safeParse(preprocessing);
  return parsed.success ? describePreprocessing(parsed.data) : null;
}
