import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/**
 * The executable `file` names, looked up as spawn() would (a name with a slash as a path, any other on PATH),
 * or undefined when there is none. Checked before spawning so that a missing command is a clear, permanent
 * failure instead of a crash loop.
 */
export function resolveCommand(file: string, path: string | undefined, cwd: string = process.cwd()): string | undefined {
  if (file.includes('/')) {
    const full = resolve(cwd, file);
    return isExecutableFile(full) ? full : undefined;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(cwd, join(dir, file));
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
