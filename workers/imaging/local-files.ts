import { type Dirent } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ImageReadError } from "./image-error";

/**
 * The worker's only way to reach image files: a `local_path` is resolved inside the site's data
 * folder, and refused when it or any file it leads to (through `..`, an absolute path or a
 * symbolic link) lies outside. Missing files are reported as missing, not as unreadable.
 */
const MAX_FILE_BYTES = 1024 ** 3;
/** A series folder with more files than this is not one series (a whole archive pointed at by mistake). */
const MAX_SERIES_FILES = 5_000;

export type LocalImage = { kind: "file"; file: string } | { kind: "folder"; files: string[] };

export async function resolveLocalImage(dataDir: string, localPath: string): Promise<LocalImage> {
  const root = await realpath(dataDir);
  const lexical = path.resolve(root, localPath);
  if (!isInside(root, lexical))
    throw new ImageReadError("outside_data_folder", "the path leads outside the site's image folder");
  const real = await realpathOrMissing(lexical);
  if (!isInside(root, real))
    throw new ImageReadError("outside_data_folder", "a symbolic link leads outside the site's image folder");
  const info = await stat(real);
  if (info.isFile()) return { kind: "file", file: real };
  if (!info.isDirectory()) throw new ImageReadError("unreadable", "the path is neither a file nor a folder");
  const entries: Dirent[] = await readdir(real, { withFileTypes: true });
  const names = entries
    .filter((e) => !e.name.startsWith(".") && e.name.toUpperCase() !== "DICOMDIR" && !e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new ImageReadError("missing", "the series folder is empty");
  if (names.length > MAX_SERIES_FILES)
    throw new ImageReadError("unsupported", `the folder holds ${names.length} files, more than one series would`);
  const files: string[] = [];
  for (const name of names) {
    const file = await realpathOrMissing(path.join(real, name));
    if (!isInside(root, file))
      throw new ImageReadError("outside_data_folder", "a symbolic link leads outside the site's image folder");
    files.push(file);
  }
  return { kind: "folder", files };
}

/** Reads a resolved file, refusing one larger than the worker reads. */
export async function readImageFile(file: string): Promise<Uint8Array> {
  const handle = await open(file, "r").catch((error: NodeJS.ErrnoException) => {
    throw asImageError(error);
  });
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES)
      throw new ImageReadError("unsupported", `a ${size}-byte file is larger than the worker reads`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The first bytes of a file: enough to tell DICOM (DICM at 128) from NIfTI or PNG without reading it all. */
export async function readFileHead(file: string, length = 132): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate.startsWith(root + path.sep);
}

async function realpathOrMissing(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    throw asImageError(error as NodeJS.ErrnoException);
  }
}

function asImageError(error: NodeJS.ErrnoException): ImageReadError {
  if (error.code === "ENOENT" || error.code === "ENOTDIR")
    return new ImageReadError("missing", "no such file or folder");
  return new ImageReadError("unreadable", `the file could not be opened (${error.code ?? "error"})`);
}
