import { cn } from "@/app/_components/ui/cn";
import { controlVariants } from "@/app/_components/ui/field-frame";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import { MODALITIES } from "@/protocol/cohort-definition";
import { MODEL_SPEC_LIMITS } from "@/protocol/model-spec";
import type { Issues, ModelDraft } from "./model-draft";
import { NumberField } from "./number-field";
import { PreprocessingFields } from "./preprocessing-fields";

const MODALITY_LABELS: Record<(typeof MODALITIES)[number], string> = {
  CT: "CT",
  MR: "MR (magnetic resonance)",
  XR: "XR (plain X-ray)",
  US: "US (ultrasound)",
};

/** Sites resize every image to this shape before it reaches the model. */
export function ImageInputFields({
  image,
  onChange,
  issues,
}: {
  image: ModelDraft["image"];
  onChange: (image: ModelDraft["image"]) => void;
  issues: Issues;
}) {
  const side = `8 to ${MODEL_SPEC_LIMITS.maxImageSide} pixels`;
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <NumberField
        label="Height (pixels)"
        name="image-height"
        min={8}
        max={MODEL_SPEC_LIMITS.maxImageSide}
        value={image.height}
        onValue={(height) => onChange({ ...image, height })}
        errors={issues["spec.input.height"]}
        hint={side}
      />
      <NumberField
        label="Width (pixels)"
        name="image-width"
        min={8}
        max={MODEL_SPEC_LIMITS.maxImageSide}
        value={image.width}
        onValue={(width) => onChange({ ...image, width })}
        errors={issues["spec.input.width"]}
        hint={side}
      />
      {image.preprocessing.slices === "stack" ? (
        <TextField
          label="Channels"
          name="image-channels"
          readOnly
          className={cn(controlVariants({ invalid: !!issues["spec.input.channels"] }), "bg-slate-50 text-slate-600")}
          value={image.preprocessing.count ?? ""}
          errors={issues["spec.input.channels"]}
          hint={`A 2.5D stack of k slices feeds k channels, one slice each: set by "Slices in the stack" below.`}
        />
      ) : (
        <SelectField
          label="Channels"
          name="image-channels"
          value={image.channels}
          onChange={(e) => onChange({ ...image, channels: Number(e.target.value) === 3 ? 3 : 1 })}
          errors={issues["spec.input.channels"]}
        >
          <option value={1}>1 (greyscale)</option>
          <option value={3}>3 (RGB, or the same grey in each)</option>
        </SelectField>
      )}
      <SelectField
        label="Modality"
        name="image-modality"
        value={image.modality}
        onChange={(e) => onChange({ ...image, modality: e.target.value as ModelDraft["image"]["modality"] })}
        errors={issues["spec.input.modality"]}
      >
        {MODALITIES.map((m) => (
          <option key={m} value={m}>
            {MODALITY_LABELS[m]}
          </option>
        ))}
      </SelectField>
      <div className="flex items-start gap-2 sm:col-span-2">
        <input
          id="image-flip"
          type="checkbox"
          className="mt-0.5 h-4 w-4 accent-nhs-blue"
          checked={image.horizontalFlip}
          onChange={(e) => onChange({ ...image, horizontalFlip: e.target.checked })}
        />
        <label htmlFor="image-flip" className="text-sm text-slate-800">
          Mirror training images left-right
          <span className="block text-xs text-slate-500">
            Doubles what a small cohort teaches when left and right look alike (e.g. axial head CT). Leave off where
            side matters, such as chest X-rays.
          </span>
        </label>
      </div>
      <PreprocessingFields
        image={image}
        onChange={(preprocessing) => onChange({ ...image, preprocessing })}
        issues={issues}
      />
    </div>
  );
}
