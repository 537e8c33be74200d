// Why a file operation failed, in words a user understands, for errors that name the file and the remedy.

const reasons: Record<string, string> = {
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENOSPC: 'the disk is full',
  ELOOP: 'it is a link that loops',
};

/** "permission denied (EACCES)": the reason, then the system's code; the error's own message when unknown. */
export function fileErrorReason(error: unknown, overrides: Record<string, string> = {}): string {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return `${overrides[code] ?? reasons[code] ?? (error as Error).message} (${code})`;
}
