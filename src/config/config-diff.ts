import { isTree } from './merge-patch.ts';

/** One changed setting between two configurations; a missing side means the setting was added or removed. */
export interface ConfigChange {
  /** Dotted path, list positions included ("providers.1.timeoutMs"), as configuration errors name them. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** The settings that differ, leaf by leaf; lists are compared position by position. */
export function diffConfig(before: unknown, after: unknown, path = ''): ConfigChange[] {
  if (isTree(before) && isTree(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].sort().flatMap((key) => diffConfig(before[key], after[key], join(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffConfig(item, after[i], join(path, String(i))));
  }
  if (sameJson(before, after)) return [];
  return [{ path, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) }];
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
