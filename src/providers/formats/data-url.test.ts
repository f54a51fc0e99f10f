import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDataUrl, toDataUrl } from './data-url.ts';

describe('parseDataUrl', () => {
  it('reads media type and payload', () => {
    assert.deepEqual(parseDataUrl('data:image/png;base64,iVBORw0KGgo='), { mediaType: 'image/png', data: 'iVBORw0KGgo=' });
  });

  it('lower-cases the media type and allows parameters before base64', () => {
    assert.deepEqual(parseDataUrl('data:Application/PDF;name=report.pdf;base64,JVBERi0x'), { mediaType: 'application/pdf', data: 'JVBERi0x' });
  });

  it('rejects non-data URLs, URLs without a comma and non-base64 data URLs', () => {
    for (const url of ['https://example.com/cat.png', 'data:image/png;base64', 'data:text/plain,hello', 'data:,x']) assert.equal(parseDataUrl(url), undefined, url);
  });

  it('round-trips with toDataUrl', () => {
    assert.deepEqual(parseDataUrl(toDataUrl('image/webp', 'UklGRg==')), { mediaType: 'image/webp', data: 'UklGRg==' });
  });
});
