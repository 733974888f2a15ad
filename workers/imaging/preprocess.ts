import {
  DEFAULT_PREPROCESSING,
  WINDOW_PRESETS,
  type ImageWindow,
  type SliceSelection,
} from "@/protocol/image-preprocessing";
import type { ImageInput } from "@/protocol/model-spec";
import { ImageReadError } from "./image-error";
import type { Volume } from "./volume";

/**
 * The one preprocessing of image models, at training and at evaluation: pick the slices the spec
 * asks for (centre, a 2.5D stack, or a maximum-intensity projection) in modality units, resample
 * each to the model's height and width, window it to [-1, 1], and lay the planes out as channels
 * (NHWC, channels last). The result is one example's input.
 */
export function preprocessVolume(volume: Volume, input: ImageInput): Float32Array {
  const { window, slices } = input.preprocessing ?? DEFAULT_PREPROCESSING;
  if (window.kind === "preset" && volume.units !== "hounsfield")
    throw new ImageReadError(
      "unsupported",
      `the ${window.preset} window is in Hounsfield units, and this image is not a CT series in Hounsfield units`,
    );
  const planes = selectPlanes(volume, slices).map((plane) =>
    applyWindow(resizeBilinear(plane, volume.columns, volume.rows, input.width, input.height), window),
  );
  const pixels = input.height * input.width;
  if (planes.length === 1 && input.channels === 1) return planes[0]!;
  // One plane in several channels: a 3-channel (e.g. RGB-pretrained) model sees the grey value in each.
  const source = (channel: number) => planes[planes.length === 1 ? 0 : channel]!;
  const out = new Float32Array(pixels * input.channels);
  for (let c = 0; c < input.channels; c++) {
    const plane = source(c);
    for (let i = 0; i < pixels; i++) out[i * input.channels + c] = plane[i]!;
  }
  return out;
}

/** The index of the centre slice: ⌊depth / 2⌋ (the upper of the two middle slices of an even series). */
export function centreIndex(depth: number): number {
  return Math.floor(depth / 2);
}

function selectPlanes(volume: Volume, slices: SliceSelection): Float32Array[] {
  const size = volume.rows * volume.columns;
  const plane = (index: number) => {
    const k = Math.min(volume.depth - 1, Math.max(0, index));
    return volume.voxels.subarray(k * size, (k + 1) * size);
  };
  const centre = centreIndex(volume.depth);
  switch (slices.kind) {
    case "centre":
      return [plane(centre)];
    case "stack": {
      // Beyond the first or last slice the edge slice repeats, so a short series still fills every channel.
      const half = (slices.count - 1) / 2;
      return Array.from({ length: slices.count }, (_, i) => plane(centre - half + i));
    }
    case "mip": {
      const slab = Math.min(slices.slab ?? volume.depth, volume.depth);
      const first = Math.max(0, Math.min(volume.depth - slab, centre - Math.floor(slab / 2)));
      const out = Float32Array.from(plane(first));
      for (let k = first + 1; k < first + slab; k++) {
        const next = plane(k);
        for (let i = 0; i < size; i++) if (next[i]! > out[i]!) out[i] = next[i]!;
      }
      return [out];
    }
  }
}

export function applyWindow(values: Float32Array, window: ImageWindow): Float32Array {
  if (window.kind === "robust") return windowIntensities(values);
  const { level, width } = window.kind === "preset" ? WINDOW_PRESETS[window.preset] : window;
  const low = level - width / 2;
  return values.map((v) => Math.max(-1, Math.min(1, (2 * (v - low)) / width - 1)));
}

/** Half-width of the intensity window, in robust standard deviations of the image's foreground. */
const WINDOW_SDS = 6;

/**
 * Per-image intensity windowing (what a radiologist's brain window does, made scanner-independent):
 * centre on the median of the foreground (pixels brighter than the image mean: tissue, not air),
 * scale by its robust spread (1.4826 x median absolute deviation), clip to +-WINDOW_SDS and map to
 * [-1, 1]. Subtle hypo/hyperdensities in tissue then span a large part of the input range, while air
 * and bone saturate instead of dominating the activations; and each site's scanner offset, gain and
 * noise level are normalised away. Without this, lesions of a few percent of the [0, 1] range on a
 * bright skull ring left the CNN at the class prior for the few hundred steps a federated round has.
 * The spread has a floor of 1/255 of the image's range, so a noiseless synthetic image cannot blow up.
 */
export function windowIntensities(values: Float32Array): Float32Array {
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    mean += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  mean /= values.length;
  const foreground = Float32Array.from(values.filter((v) => v > mean)).sort();
  if (foreground.length === 0) return new Float32Array(values.length); // a flat image carries nothing
  const median = foreground[foreground.length >> 1]!;
  const deviations = foreground.map((v) => Math.abs(v - median)).sort();
  const spread = Math.max(1.4826 * deviations[deviations.length >> 1]!, (max - min) / 255);
  const halfWidth = WINDOW_SDS * spread;
  return values.map((v) => Math.max(-1, Math.min(1, (v - median) / halfWidth)));
}

/** Half-pixel-centred bilinear resampling (as tf.image.resizeBilinear without alignCorners). */
export function resizeBilinear(
  plane: Float32Array,
  fromWidth: number,
  fromHeight: number,
  width: number,
  height: number,
): Float32Array {
  if (fromWidth === width && fromHeight === height) return Float32Array.from(plane);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(fromHeight - 1, Math.max(0, ((y + 0.5) * fromHeight) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(fromHeight - 1, y0 + 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(fromWidth - 1, Math.max(0, ((x + 0.5) * fromWidth) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(fromWidth - 1, x0 + 1);
      const a = plane[y0 * fromWidth + x0]!;
      const b = plane[y0 * fromWidth + x1]!;
      const c = plane[y1 * fromWidth + x0]!;
      const d = plane[y1 * fromWidth + x1]!;
      const top = a + (b - a) * (sx - x0);
      const bottom = c + (d - c) * (sx - x0);
      out[y * width + x] = top + (bottom - top) * (sy - y0);
    }
  }
  return out;
}
