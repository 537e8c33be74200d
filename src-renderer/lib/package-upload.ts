// Files the user chose (a .cspkg, a .csdef, a csx folder, a .cscfg) as openPackage wants them: paths relative
// to what was chosen and contents in base64. Read in the renderer; nothing but their bytes leaves it.

export interface UploadFile {
  path: string;
  data: string;
}

async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  // btoa takes a binary string; build it in chunks so a large package does not overflow the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export async function toUploadFiles(...lists: (FileList | null | undefined)[]): Promise<UploadFile[]> {
  const out: UploadFile[] = [];
  for (const list of lists) {
    for (const file of Array.from(list ?? [])) {
      // A folder pick gives webkitRelativePath ("Hello.csx/roles/..."); a file pick gives only its name.
      out.push({ path: file.webkitRelativePath || file.name, data: await base64Of(file) });
    }
  }
  return out;
}
