import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ImageTask } from "./events";
import { encodeGrayPng } from "./png";
import type { ScannerProfile, SiteProfile } from "./profiles";
import { createRng, hashSeed, type Rng } from "./random";

/**
 * Synthetic 64x64 8-bit slices. Anatomy is drawn in normalised intensity [0,1]; the site's scanner
 * profile then maps it to pixels (gamma, contrast, offset, noise), which is the site-to-site shift a
 * federated model has to cope with. Positive cases carry a lesion the models should learn to find.
 */

export const IMAGE_SIZE = 64;

type Canvas = Float32Array;

/** Smooth low-frequency variation, so tissue is not flat and models cannot key on exact values. */
function texture(rng: Rng, amplitude: number): (x: number, y: number) => number {
  const waves = Array.from({ length: 3 }, () => ({
    fx: rng.uniform(0.08, 0.3),
    fy: rng.uniform(0.08, 0.3),
    phase: rng.uniform(0, 2 * Math.PI),
    amplitude: amplitude * rng.uniform(0.5, 1),
  }));
  return (x, y) => waves.reduce((sum, w) => sum + w.amplitude * Math.sin(w.fx * x + w.fy * y + w.phase), 0);
}

/** Adds a soft elliptical blob (negative amount = darker) centred at (cx, cy). */
function addBlob(canvas: Canvas, cx: number, cy: number, rx: number, ry: number, amount: number): void {
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const d2 = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      if (d2 < 9) canvas[y * IMAGE_SIZE + x] = (canvas[y * IMAGE_SIZE + x] ?? 0) + amount * Math.exp(-d2);
    }
  }
}

function applyScanner(canvas: Canvas, scanner: ScannerProfile, rng: Rng): Uint8Array {
  const pixels = new Uint8Array(canvas.length);
  for (let i = 0; i < canvas.length; i++) {
    const v = Math.min(1, Math.max(0, canvas[i] ?? 0));
    const value = (v ** scanner.gamma * scanner.contrast + scanner.offset) * 255 + rng.normal(0, scanner.noise);
    pixels[i] = Math.min(255, Math.max(0, Math.round(value)));
  }
  return pixels;
}

/**
 * Slices of a series: 0 is the slice through the lesion (the one a PNG export holds); a slice k
 * slices away cuts the head or pelvis a little higher or lower, where the outline is a little
 * smaller and the lesion (a small ellipsoid) smaller still or gone. Geometry is drawn from the
 * image's seed before any pixel noise, so every slice of a series shows the same anatomy.
 */
function sliceScale(slice: number, halfDepth: number): number {
  return Math.sqrt(Math.max(0, 1 - (slice / halfDepth) ** 2));
}

/** Pixel noise of one slice: slice 0 keeps the image's own stream, others get their own. */
function noiseRng(rng: Rng, seed: number, slice: number): Rng {
  return slice === 0 ? rng : createRng(hashSeed(seed, "slice", slice));
}

/** Axial non-contrast CT head: skull ring, brain with texture and ventricles, optional hypodense infarct. */
export function renderCtHead(seed: number, scanner: ScannerProfile, hasLesion: boolean, slice = 0): Uint8Array {
  const rng = createRng(seed);
  const canvas: Canvas = new Float32Array(IMAGE_SIZE * IMAGE_SIZE).fill(0.02);
  const cx = 31.5 + rng.normal(0, 1.2);
  const cy = 31.5 + rng.normal(0, 1.2);
  const head = sliceScale(slice, 11);
  const rx = rng.uniform(21, 25) * head;
  const ry = Math.min(29, rx * rng.uniform(1.1, 1.22));
  const skull = rng.uniform(2.2, 3.4);
  const brainTexture = texture(rng, 0.025);
  // Lateral ventricles: small paired CSF spaces near the midline.
  const ventricleY = cy - rng.uniform(0, 3);
  // Infarct in one hemisphere, away from the skull; about 1 in 8 is small and subtle, as early infarcts are.
  const isSubtle = rng.bernoulli(0.12);
  const side = rng.bernoulli(0.5) ? -1 : 1;
  const lx = cx + side * rng.uniform(5, 11);
  const ly = cy + rng.uniform(-10, 10);
  const radius = (isSubtle ? rng.uniform(2, 3) : rng.uniform(3, 6)) * sliceScale(slice, 2);
  const aspect = rng.uniform(0.8, 1.25);
  const depth = isSubtle ? -0.08 : -rng.uniform(0.14, 0.22);
  const noise = noiseRng(rng, seed, slice);
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
      const edge = (1 - r) * Math.min(rx, ry); // distance inside the outer table, in pixels
      if (edge < 0) continue;
      canvas[y * IMAGE_SIZE + x] = edge < skull ? 0.9 + noise.uniform(-0.03, 0.03) : 0.45 + brainTexture(x, y);
    }
  }
  addBlob(canvas, cx - 3.5, ventricleY, 1.2, 3.5 * head, -0.1);
  addBlob(canvas, cx + 3.5, ventricleY, 1.2, 3.5 * head, -0.1);
  if (hasLesion && radius > 0) addBlob(canvas, lx, ly, radius * aspect, radius, depth);
  return applyScanner(canvas, scanner, noise);
}

/** Axial T2 MR pelvis: body outline, femoral heads, bladder, prostate; optional hypointense tumour. */
export function renderMrProstate(seed: number, scanner: ScannerProfile, hasLesion: boolean, slice = 0): Uint8Array {
  const rng = createRng(seed);
  const canvas: Canvas = new Float32Array(IMAGE_SIZE * IMAGE_SIZE).fill(0.03);
  const cx = 31.5 + rng.normal(0, 1);
  const cy = 31.5 + rng.normal(0, 1);
  const bodyRx = rng.uniform(27, 30);
  const bodyRy = rng.uniform(20, 24);
  const tissue = texture(rng, 0.03);
  const gland = sliceScale(slice, 4);
  const prostate = {
    x: cx + rng.normal(0, 1),
    y: cy + 4 + rng.normal(0, 1),
    rx: rng.uniform(6, 8.5) * gland,
    ry: rng.uniform(4.5, 6.5) * gland,
  };
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const r = Math.hypot((x - cx) / bodyRx, (y - cy) / bodyRy);
      if (r > 1) continue;
      const i = y * IMAGE_SIZE + x;
      canvas[i] = (r > 0.85 ? 0.7 : 0.35) + tissue(x, y); // subcutaneous fat is bright on T2
      const p = Math.hypot((x - prostate.x) / prostate.rx, (y - prostate.y) / prostate.ry);
      if (p <= 1) canvas[i] = (p > 0.6 && y > prostate.y ? 0.7 : 0.5) + tissue(x, y); // bright peripheral zone
    }
  }
  addBlob(canvas, cx - bodyRx * 0.62, cy + 2, 4.5, 4.5, -0.15); // femoral heads
  addBlob(canvas, cx + bodyRx * 0.62, cy + 2, 4.5, 4.5, -0.15);
  addBlob(canvas, prostate.x, prostate.y - prostate.ry - 5, 7, 4, 0.45); // bladder: fluid is bright
  addBlob(canvas, prostate.x, prostate.y + prostate.ry + 3.5, 3, 2, -0.2); // rectum
  const angle = rng.uniform(0, Math.PI); // lower half: peripheral zone, where most cancers arise
  const radius = rng.uniform(2, 3.5) * sliceScale(slice, 2);
  const depth = -rng.uniform(0.22, 0.32);
  if (hasLesion && radius > 0) {
    addBlob(
      canvas,
      prostate.x + Math.cos(angle) * prostate.rx * 0.55,
      prostate.y + Math.sin(angle) * prostate.ry * 0.55,
      radius,
      radius * 0.8,
      depth,
    );
  }
  return applyScanner(canvas, scanner, noiseRng(rng, seed, slice));
}

/** Renders and writes every image as `<dataDir>/<task.localPath>`; returns counts per modality. */
export function writeImageFiles(
  dataDir: string,
  tasks: readonly ImageTask[],
  profile: SiteProfile,
  onImage?: (written: number) => void,
): Record<string, number> {
  const perModality: Record<string, number> = {};
  const madeDirs = new Set<string>();
  tasks.forEach((task, index) => {
    const pixels =
      task.modality === "CT"
        ? renderCtHead(task.seed, profile.ct, task.hasLesion)
        : renderMrProstate(task.seed, profile.mr, task.hasLesion);
    if (!task.localPath) throw new Error("a PNG image needs a local path");
    const file = path.join(dataDir, task.localPath);
    const dir = path.dirname(file);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    writeFileSync(file, encodeGrayPng(IMAGE_SIZE, IMAGE_SIZE, pixels));
    perModality[task.modality] = (perModality[task.modality] ?? 0) + 1;
    onImage?.(index + 1);
  });
  return perModality;
}
