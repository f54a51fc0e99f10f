/**
 * docs/errors.md lists exactly the SB_* catalogue (DESIGN §6): every code, no extra, with the same HTTP status
 * and retryable flag. Rows of its codes table look like:
 *
 *   | `SB_AUTH_MISSING_KEY` | 401 | no | meaning | what to do |
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CATALOGUE } from '../../src/errors/catalogue.ts';

interface DocRow { readonly code: string; readonly status: number; readonly retryable: boolean; readonly meaning: string; readonly action: string }

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const ROW = /^\|\s*`(SB_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|\s*(yes|no)\s*\|(.*)\|(.*)\|\s*$/;

/** The rows of the codes table, in document order. A row that starts with a code but does not parse fails. */
function codeRows(): DocRow[] {
  const rows: DocRow[] = [];
  for (const line of DOC.split('\n')) {
    if (!/^\|\s*`SB_/.test(line)) continue;
    const match = ROW.exec(line);
    assert.ok(match, `malformed row in docs/errors.md: ${line}`);
    const [, code, status, retryable, meaning, action] = match;
    rows.push({ code: code!, status: Number(status), retryable: retryable === 'yes', meaning: meaning!.trim(), action: action!.trim() });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = codeRows();
  const documented = new Map(rows.map((r) => [r.code, r]));

  it('has a codes table', () => {
    assert.ok(rows.length > 0, 'no `| `SB_…` | status | yes/no | … |` rows found');
  });

  it('lists each code once', () => {
    const seen = new Set<string>();
    for (const row of rows) {
      assert.ok(!seen.has(row.code), `${row.code} is listed twice`);
      seen.add(row.code);
    }
  });

  it('misses no catalogue code', () => {
    const missing = Object.keys(CATALOGUE).filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], `add these codes to docs/errors.md: ${missing.join(', ')}`);
  });

  it('lists no code outside the catalogue', () => {
    const extra = rows.map((r) => r.code).filter((code) => !Object.hasOwn(CATALOGUE, code));
    assert.deepEqual(extra, [], `these codes are not in src/errors/catalogue.ts: ${extra.join(', ')}`);
  });

  it('gives each code the catalogue\'s HTTP status and retryable flag', () => {
    for (const [code, spec] of Object.entries(CATALOGUE)) {
      const row = documented.get(code);
      if (row === undefined) continue; // reported above
      assert.equal(row.status, spec.status, `${code}: HTTP status`);
      assert.equal(row.retryable, spec.retryable, `${code}: retryable`);
    }
  });

  it('says what each code means and what to do about it', () => {
    for (const row of rows) {
      assert.ok(row.meaning.length > 10, `${row.code}: meaning`);
      assert.ok(row.action.length > 5, `${row.code}: what to do`);
    }
  });

  it('mentions no SB_ code anywhere that the catalogue lacks', () => {
    // "$SB_KEY" in the shell examples is a variable, not a code.
    const mentioned = new Set(DOC.match(/(?<![$\w])SB_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);
    const unknown = [...mentioned].filter((code) => !Object.hasOwn(CATALOGUE, code));
    assert.deepEqual(unknown, []);
  });
});
