export const DEFAULT_USAGE_LIMIT = 100;
/** Bounds one answer's size, so a careless query cannot load the whole usage table into memory. */
export const MAX_USAGE_LIMIT = 1000;

/** The one limit rule every adapter applies: default 100, at most 1000, never negative, whole numbers. */
export function resolveUsageLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return DEFAULT_USAGE_LIMIT;
  return Math.min(MAX_USAGE_LIMIT, Math.max(0, Math.floor(limit)));
}

export const DEFAULT_SCAN_PAGE = 500;

/** UsageScan.pageSize: default 500, 1 to MAX_USAGE_LIMIT, whole numbers. */
export function resolvePageSize(pageSize: number | undefined): number {
  if (pageSize === undefined || Number.isNaN(pageSize)) return DEFAULT_SCAN_PAGE;
  return Math.min(MAX_USAGE_LIMIT, Math.max(1, Math.floor(pageSize)));
}
