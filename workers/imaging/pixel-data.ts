import dicomParser from "dicom-parser";
import type { FrameLayout } from "./codecs";
import { ImageReadError } from "./image-error";

/**
 * The bytes of one frame: a slice of native pixel data, or the fragments of an encapsulated frame
 * (through the basic offset table, one fragment per frame, or the JPEG markers when neither holds).
 */
export function readFrameBytes(
  data: dicomParser.DataSet,
  element: dicomParser.Element,
  frame: number,
  frameCount: number,
  layout: FrameLayout,
): Uint8Array {
  if (!element.encapsulatedPixelData) {
    const size = layout.rows * layout.columns * layout.bytesPerSample * layout.samples;
    const start = element.dataOffset + frame * size;
    if (element.length < frameCount * size || start + size > data.byteArray.length)
      throw new ImageReadError("unreadable", "the pixel data is shorter than its frames");
    return data.byteArray.subarray(start, start + size);
  }
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) throw new ImageReadError("unreadable", "the encapsulated pixel data has no fragments");
  if (frameCount === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(data, element, 0, fragments.length);
  if ((element.basicOffsetTable ?? []).length === frameCount)
    return dicomParser.readEncapsulatedImageFrame(data, element, frame);
  if (fragments.length === frameCount)
    return dicomParser.readEncapsulatedPixelDataFromFragments(data, element, frame, 1);
  const table = dicomParser.createJPEGBasicOffsetTable(data, element);
  return dicomParser.readEncapsulatedImageFrame(data, element, frame, table);
}
