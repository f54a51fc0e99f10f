/** A parameter value both SQL adapters bind as is (node:sqlite takes no booleans, so flags travel as 1 / 0). */
export type SqlValue = string | number | null;
