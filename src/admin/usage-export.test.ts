import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv } from '../../test/support/parse-csv.ts';
import { makeUsageRecord } from '../../test/support/usage-record-factory.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import { CSV_COLUMNS, csvField, exportChunks, exportFileName, primed, type ExportFormat } from './usage-export.ts';

async function body(pages: UsageRecord[][], format: ExportFormat): Promise<string> {
  async function* source() {
    yield* pages;
  }
  let text = '';
  for await (const chunk of exportChunks(source(), format)) text += chunk;
  return text;
}

const awkward = makeUsageRecord({
  modelRequested: 'say "hi", then\r\nleave', errorCode: null, modelServed: '', fallbackChain: ['a/x', 'b/"y"'], agentType: '=SUM(A1)', ttftMs: null,
});

describe('usage export', () => {
  it('quotes a CSV field only when it holds a comma, a quote or a line break, doubling quotes', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(12.5), '12.5');
    assert.equal(csvField(false), 'false');
  });

  it('tells null (an empty field) from an empty string (a quoted one), and writes arrays as JSON', () => {
    assert.equal(csvField(null), '');
    assert.equal(csvField(''), '""');
    assert.equal(csvField(['a/x', 'b/y']), '"[""a/x"",""b/y""]"');
  });

  it('writes a header row of every field and one row per record that reads back to the same values', async () => {
    const records = [awkward, makeUsageRecord()];
    const rows = parseCsv(await body([[records[0]!], [records[1]!]], 'csv'));
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    assert.equal(rows.length, 3);
    rows.slice(1).forEach((row, i) => {
      const record = records[i]!;
      CSV_COLUMNS.forEach((column, j) => {
        const value = record[column];
        const expected = value === null ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);
        assert.equal(row[j], expected, `${column} of record ${i}`);
      });
    });
  });

  it('writes NDJSON and a JSON array of the records as GET /api/usage answers them', async () => {
    const pages = [[awkward, makeUsageRecord()], [makeUsageRecord()]];
    const lines = (await body(pages, 'ndjson')).split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((line) => JSON.parse(line)), pages.flat());
    assert.deepEqual(JSON.parse(await body(pages, 'json')), pages.flat());
    assert.deepEqual(JSON.parse(await body([], 'json')), []);
    assert.deepEqual(parseCsv(await body([], 'csv')), [[...CSV_COLUMNS]]);
  });

  it('reads the first page before anything is sent, so a failing store fails the request', async () => {
    async function* failing(): AsyncGenerator<UsageRecord[]> {
      yield* [];
      throw new Error('store down');
    }
    await assert.rejects(primed(failing()), /store down/);
    async function* two() {
      yield [awkward];
      yield [awkward, awkward];
    }
    const pages: number[] = [];
    for await (const page of await primed(two())) pages.push(page.length);
    assert.deepEqual(pages, [1, 2]);
  });

  it('names the file after the range and the format', () => {
    assert.equal(exportFileName('2025-02-01T00:00:00.000Z', '2025-02-03T12:30:00.000Z', 'csv'), 'switchboard-usage-20250201T000000Z-20250203T123000Z.csv');
  });
});
