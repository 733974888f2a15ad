import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import { MODEL_SPEC_LIMITS, TRAINABLE_TASKS } from "@/protocol/model-spec";
import { TASK_LABELS } from "../_components/format";
import type { Issues, ModelDraft } from "./model-draft";
import { NumberField } from "./number-field";

type Props = { draft: ModelDraft; onChange: (patch: Partial<ModelDraft>) => void; issues: Issues };

export function BasicsFields({ draft, onChange, issues }: Props) {
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <div className="sm:col-span-2">
        <TextField
          label="Model name"
          name="model-name"
          autoComplete="off"
          value={draft.name}
          onChange={(e) => onChange({ name: e.target.value })}
          errors={issues["spec.name"]}
          hint="Unique within the project, e.g. “Chest X-ray pneumonia CNN”."
        />
      </div>
      <SelectField
        label="Task"
        name="model-task"
        value={draft.task}
        onChange={(e) => onChange({ task: e.target.value as ModelDraft["task"] })}
        errors={issues["spec.task"]}
        hint={`Sites can train ${TRAINABLE_TASKS.map((task) => (TASK_LABELS[task] ?? task).toLowerCase()).join(", ")} models only.`}
      >
        {TRAINABLE_TASKS.map((task) => (
          <option key={task} value={task}>
            {TASK_LABELS[task]}
          </option>
        ))}
      </SelectField>
      {draft.task === "multiclass_classification" ? (
        <NumberField
          label="Number of classes"
          name="model-classes"
          min={MODEL_SPEC_LIMITS.minClasses}
          max={MODEL_SPEC_LIMITS.maxClasses}
          value={draft.classes}
          onValue={(classes) => onChange({ classes })}
          errors={issues["spec.classes"]}
          hint={`Between ${MODEL_SPEC_LIMITS.minClasses} and ${MODEL_SPEC_LIMITS.maxClasses}; two classes is binary classification.`}
        />
      ) : null}
    </div>
  );
}
