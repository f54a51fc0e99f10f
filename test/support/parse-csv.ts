/**
 * An RFC 4180 reader for tests: rows of fields, quoted fields with "" for a quote and line breaks inside them.
 * A quoted empty field reads as "" and an empty unquoted one as null, so exports can say which was written.
 */
export function parseCsv(text: string): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = [];
  let row: Array<string | null> = [];
  let i = 0;
  while (i < text.length) {
    let field: string | null;
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"' && text[i + 1] === '"') { value += '"'; i += 2; continue; }
        if (text[i] === '"') { i++; break; }
        value += text[i++];
      }
      field = value;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') end++;
      const raw = text.slice(i, end);
      if (raw.includes('"')) throw new Error(`stray quote in unquoted field ${JSON.stringify(raw)}`);
      field = raw === '' ? null : raw;
      i = end;
    }
    row.push(field);
    if (text[i] === ',') { i++; continue; }
    if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
    else if (i < text.length) throw new Error(`expected a comma or CRLF at ${i}`);
    rows.push(row);
    row = [];
  }
  return rows;
}
