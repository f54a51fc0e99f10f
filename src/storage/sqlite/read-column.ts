/**
 * Typed reads of one column of a result row. A value of the wrong type means a damaged or foreign database, so it
 * throws and names the column instead of letting a wrong type travel on. Plain functions: no per-row allocation.
 */
import type { SQLOutputValue } from 'node:sqlite';

export type Row = Record<string, SQLOutputValue>;

function wrongType(column: string, expected: string, value: SQLOutputValue | undefined): TypeError {
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

function isMember<T extends string>(value: string, allowed: Readonly<Record<T, true>>): value is T {
  return Object.hasOwn(allowed, value);
}

/** One of the keys of `allowed`; typing `allowed` as a Record over the union makes the compiler catch a missing member. */
export function readOneOf<T extends string>(row: Row, column: string, allowed: Readonly<Record<T, true>>): T {
  const value = readText(row, column);
  if (!isMember(value, allowed)) throw wrongType(column, Object.keys(allowed).join(' | '), value);
  return value;
}
