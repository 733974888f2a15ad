import { SelectField } from "@/app/_components/ui/select-field";
import { MAX_STACKED_SLICES, WINDOW_PRESETS, type WindowPreset } from "@/protocol/image-preprocessing";
import type { Issues, ModelDraft } from "./model-draft";
import { NumberField } from "./number-field";
import { preprocessingSummary, type PreprocessingDraft } from "./preprocessing-draft";

const PRESET_LABELS: Record<WindowPreset, string> = {
  brain: "Brain",
  stroke: "Stroke (narrow, for early ischaemia)",
  soft_tissue: "Soft tissue",
  lung: "Lung",
  bone: "Bone",
};
const PRESETS = Object.keys(WINDOW_PRESETS) as WindowPreset[];
const PATH = "spec.input.preprocessing";

function windowHint(modality: ModelDraft["image"]["modality"], window: PreprocessingDraft["window"]): string {
  if (window === "robust")
    return "Per image, from the scan's own intensities: suits MR, whose units differ by scanner.";
  if (modality === "CT") return "Level and width in Hounsfield units.";
  if (window === "level_width") return `Level and width in the ${modality} scanner's own units.`;
  return "Presets are CT windows in Hounsfield units.";
}

/** The window and slices sites apply to every DICOM or NIfTI series, at training and evaluation alike. */
export function PreprocessingFields({
  image,
  onChange,
  issues,
}: {
  image: ModelDraft["image"];
  onChange: (preprocessing: PreprocessingDraft) => void;
  issues: Issues;
}) {
  const draft = image.preprocessing;
  const set = (patch: Partial<PreprocessingDraft>) => onChange({ ...draft, ...patch });
  const summary = preprocessingSummary(draft);
  return (
    <fieldset className="grid gap-4 border-t border-slate-200 pt-4 sm:col-span-2 sm:grid-cols-2">
      <legend className="pt-4 text-sm font-semibold text-slate-900">How sites read each scan</legend>
      <SelectField
        label="Window"
        name="image-window"
        value={draft.window}
        hint={windowHint(image.modality, draft.window)}
        onChange={(e) => set({ window: e.target.value as PreprocessingDraft["window"] })}
        errors={issues[`${PATH}.window.kind`] ?? issues[`${PATH}.window.preset`] ?? issues[`${PATH}.window`]}
      >
        <option value="robust">Robust, per image</option>
        {PRESETS.map((preset) => (
          <option key={preset} value={preset}>
            {PRESET_LABELS[preset]} (level {WINDOW_PRESETS[preset].level}, width {WINDOW_PRESETS[preset].width})
          </option>
        ))}
        <option value="level_width">Level and width…</option>
      </SelectField>
      <SelectField
        label="Slices"
        name="image-slices"
        value={draft.slices}
        hint="Which slices of the series the model sees."
        onChange={(e) => set({ slices: e.target.value as PreprocessingDraft["slices"] })}
        errors={issues[`${PATH}.slices.kind`]}
      >
        <option value="centre">Centre slice</option>
        <option value="stack">2.5D stack of neighbouring slices</option>
        <option value="mip">Maximum-intensity projection</option>
      </SelectField>
      {draft.window === "level_width" ? (
        <div className="grid grid-cols-2 gap-4">
          <NumberField
            label="Window level"
            name="image-window-level"
            value={draft.level}
            onValue={(level) => set({ level })}
            errors={issues[`${PATH}.window.level`]}
          />
          <NumberField
            label="Window width"
            name="image-window-width"
            min={1}
            value={draft.width}
            onValue={(width) => set({ width })}
            errors={issues[`${PATH}.window.width`]}
          />
        </div>
      ) : (
        <div className="hidden sm:block" />
      )}
      {draft.slices === "stack" ? (
        <NumberField
          label="Slices in the stack"
          name="image-stack-count"
          min={1}
          max={MAX_STACKED_SLICES}
          step={2}
          value={draft.count}
          onValue={(count) => set({ count })}
          errors={issues[`${PATH}.slices.count`]}
          hint={`An odd number up to ${MAX_STACKED_SLICES}: the centre slice and its neighbours, one per channel.`}
        />
      ) : draft.slices === "mip" ? (
        <NumberField
          label="Projection slab (slices), optional"
          name="image-mip-slab"
          min={1}
          value={draft.slab}
          onValue={(slab) => set({ slab })}
          errors={issues[`${PATH}.slices.slab`]}
          hint="The brightest value across this many central slices; leave blank for the whole series."
        />
      ) : null}
      <p className="text-sm text-slate-700 sm:col-span-2" aria-live="polite">
        {summary ? (
          <>
            Sites will read each scan as: <span className="font-medium">{summary}</span>, resized to the height and
            width above.
          </>
        ) : (
          "Fix the window or slices above to see how sites will read each scan."
        )}
      </p>
    </fieldset>
  );
}
