/**
 * Typed reads of one column of a result row, shared by the SQL adapters (SQLite, PostgreSQL). A value of the wrong
 * type means a damaged or foreign database, so it throws and names the column instead of letting a wrong type
 * travel on. Plain functions: no per-row allocation.
 */
export type Row = Readonly<Record<string, unknown>>;

function wrongType(column: string, expected: string, value: unknown): TypeError {
  return new TypeError(`column ${column} holds ${JSON.stringify(String(value))}, expected ${expected}`);
}

export function readText(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw wrongType(column, 'text', value);
  return value;
}

export function readNullableText(row: Row, column: string): string | null {
  return row[column] === null ? null : readText(row, column);
}

export function readNumber(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw wrongType(column, 'a number', value);
  return value;
}

export function readNullableNumber(row: Row, column: string): number | null {
  return row[column] === null ? null : readNumber(row, column);
}

/** A yes/no column: SQLite has no boolean type and stores 1 or 0; PostgreSQL answers a real boolean. */
export function readFlag(row: Row, column: string): boolean {
  const value = row[column];
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  throw wrongType(column, 'a boolean (or 1 / 0)', value);
}

/** A JSON column: SQLite keeps it as text; pg has already parsed a PostgreSQL json column. */
export function readJson(row: Row, column: string): unknown {
  const value = row[column];
  return typeof value === 'string' ? JSON.parse(value) : value;
}

function isMember<T extends string>(value: string, allowed: Readonly<Record<T, true>>): value is T {
  return Object.hasOwn(allowed, value);
}

/** One of the keys of `allowed`; typing `allowed` as a Record over the union makes the compiler catch a missing member. */
export function readOneOf<T extends string>(row: Row, column: string, allowed: Readonly<Record<T, true>>): T {
  const value = readText(row, column);
  if (!isMember(value, allowed)) throw wrongType(column, Object.keys(allowed).join(' | '), value);
  return value;
}
