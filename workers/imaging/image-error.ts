/**
 * Why an image could not be read. `kind` is what the worker counts and the self-check reports;
 * `message` is for the site's own log only (it may name a transfer syntax or a frame, never a
 * header value).
 */
export type ImageProblem = "missing" | "outside_data_folder" | "not_dicom" | "unsupported" | "unreadable";

export class ImageReadError extends Error {
  constructor(
    readonly kind: ImageProblem,
    message: string,
  ) {
    super(message);
  }
}
