// A .cspkg (SDK 1.7+, Open Packaging Conventions zip): extracted safely, then package.xml's PackageLayouts
// lay each role out the way the guest agent would (roles/<Role>/approot, sitesroot, RoleModel.xml), with the
// same csx layout a `cspack /copyOnly` folder has, so the rest of the reader treats both alike.
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ValidationDiagnostic } from '../common/service-model';
import { FileReader } from './reader-context';
import { safeJoin, safeUnzip, type ZipLimits, defaultZipLimits } from './safe-unzip';
import { childNamed, childrenNamed, decodeXml, parseXml } from './xml-tree';

export const packageNamespace = 'http://schemas.microsoft.com/windowsazure';

export interface LaidOutPackage {
  /** Folder holding roles/<Role>/... */
  root: string;
  /** Extracted path of the package's ServiceDefinition.csdef, and its name inside the package. */
  definitionPath?: string;
  definitionName: string;
}

/** Extracts `cspkgPath` under `targetDir` (parts in targetDir/package, roles in targetDir/roles). */
export async function layOutCspkg(cspkgPath: string, targetDir: string, limitsIn: Partial<ZipLimits>, diagnostics: ValidationDiagnostic[]): Promise<LaidOutPackage | undefined> {
  const limits = { ...defaultZipLimits, ...limitsIn };
  const parts = join(targetDir, 'package');
  const unzip = await safeUnzip(cspkgPath, parts, limits);
  diagnostics.push(...unzip.diagnostics);
  if (!unzip.ok) return undefined;
  const lower = new Map(unzip.files.map((f) => [f.toLowerCase(), f]));
  const definitionName = lower.get('servicedefinition/servicedefinition.csdef') ?? unzip.files.find((f) => /^ServiceDefinition\/[^/]+\.csdef$/i.test(f));
  const manifestName = lower.get('package.xml');
  const file = `${cspkgPath}!`;
  if (!definitionName) {
    diagnostics.push({ severity: 'error', file: cspkgPath, line: 0, column: 0, rule: 'cspkg.definition-missing', message: 'The package has no ServiceDefinition/ServiceDefinition.csdef; it is not a .cspkg of SDK 1.7 or later (older packages held encrypted .cssx files, which cannot be read).' });
    return undefined;
  }
  const laidOut: LaidOutPackage = { root: targetDir, definitionPath: join(parts, definitionName), definitionName: `${file}${definitionName}` };
  if (!manifestName) {
    diagnostics.push({ severity: 'warning', file: cspkgPath, line: 0, column: 0, rule: 'cspkg.manifest-missing', message: 'The package has no package.xml, so its roles have no files; they run the built-in default code.' });
    return laidOut;
  }
  const manifestFile = `${file}${manifestName}`;
  const parsed = parseXml(decodeXml(await readFile(join(parts, manifestName))), manifestFile);
  diagnostics.push(...parsed.diagnostics);
  const root = parsed.root;
  if (!root) return undefined;
  const reader = new FileReader(manifestFile, 'cspkg', diagnostics);
  if (root.local !== 'PackageDefinition' || root.uri !== packageNamespace) {
    reader.error(root, 'manifest', `package.xml must start with <PackageDefinition xmlns="${packageNamespace}">.`);
    return undefined;
  }
  // DataContentReference names a ContentDefinition, whose DataStorePath is the part in the zip.
  const contents = new Map<string, string>();
  for (const list of childrenNamed(root, 'PackageContents')) {
    for (const c of childrenNamed(list, 'ContentDefinition')) {
      const name = childNamed(c, 'Name')?.text.trim();
      const desc = childNamed(c, 'ContentDescription');
      const path = desc && childNamed(desc, 'DataStorePath')?.text.trim();
      if (name && path) contents.set(name, path.replace(/^\/+/, ''));
    }
  }
  let written = 0;
  for (const list of childrenNamed(root, 'PackageLayouts')) {
    for (const layout of childrenNamed(list, 'LayoutDefinition')) {
      const layoutName = childNamed(layout, 'Name')?.text.trim() ?? '';
      const m = /^Roles\/([^/\\]+)$/.exec(layoutName);
      if (!m) {
        reader.warn(layout, 'layout-unknown', `Layout "${layoutName}" is not a role layout (Roles/<name>); it is ignored.`);
        continue;
      }
      const roleRoot = safeJoin(join(targetDir, 'roles'), m[1]!);
      if (!roleRoot) {
        reader.error(layout, 'path-escape', `Layout "${layoutName}" names a folder outside the package.`);
        continue;
      }
      for (const desc of childrenNamed(layout, 'LayoutDescription')) {
        for (const fd of childrenNamed(desc, 'FileDefinition')) {
          const filePath = childNamed(fd, 'FilePath')?.text.trim() ?? '';
          const fdesc = childNamed(fd, 'FileDescription');
          const ref = (fdesc && childNamed(fdesc, 'DataContentReference')?.text.trim()) ?? '';
          const dest = safeJoin(roleRoot, filePath);
          if (!dest) {
            reader.error(fd, 'path-escape', `File "${filePath}" of layout "${layoutName}" would be written outside the role's folder.`);
            continue;
          }
          const part = contents.get(ref) ?? ref.replace(/^\/+/, '');
          const source = lower.get(part.toLowerCase());
          if (!source) {
            reader.error(fd, 'content-missing', `File "${filePath}" of layout "${layoutName}" refers to "${ref}", which the package does not contain.`);
            continue;
          }
          const from = join(parts, source);
          // One part may be laid out many times: count the copies too, or a small package could fill the disk.
          written += (await stat(from)).size;
          if (written > limits.maxTotalBytes) {
            reader.error(fd, 'too-large', `Laying out the roles passes ${limits.maxTotalBytes} bytes; the package is refused.`);
            return undefined;
          }
          await mkdir(dirname(dest), { recursive: true });
          await copyFile(from, dest);
        }
      }
    }
  }
  return laidOut;
}
