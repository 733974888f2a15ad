/** File contents as base64 without the data-URL prefix; FileReader avoids building a huge string by hand. */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(new Error(`Could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** Weight files by name, as model.json's weightsManifest refers to them. */
export async function readWeightFiles(files: FileList | File[]): Promise<Record<string, string>> {
  const entries = await Promise.all(Array.from(files, async (file) => [file.name, await readBase64(file)] as const));
  return Object.fromEntries(entries);
}
