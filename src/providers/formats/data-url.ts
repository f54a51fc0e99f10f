export interface DataUrl {
  /** Lower-cased media type, e.g. "image/png"; "" when the URL names none. */
  mediaType: string;
  /** The base64 payload, untouched. */
  data: string;
}

/** Parses `data:<type>[;param]*;base64,<data>`; undefined for other URLs and for non-base64 data URLs. */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma === -1) return undefined;
  const params = url.slice('data:'.length, comma).split(';');
  if (params.at(-1)?.toLowerCase() !== 'base64') return undefined;
  return { mediaType: (params[0] ?? '').trim().toLowerCase(), data: url.slice(comma + 1) };
}

export function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}
