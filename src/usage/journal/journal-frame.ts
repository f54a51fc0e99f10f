import { crc32 } from 'node:zlib';

/**
 * One record in a journal segment: a 14-byte header, then the payload.
 *
 *   u32 payload length | u32 CRC-32 of (sequence bytes + payload) | u48 sequence number | payload
 *
 * The CRC covers the sequence too, so a frame whose header survived a torn write but whose bytes did not is
 * told from a good one. 48 bits of sequence last 8.9 thousand years at a million records a second.
 */
export const FRAME_HEADER_BYTES = 14;
/** The largest payload a frame may carry: a bigger length in a header is corruption, not a record. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export function encodeFrame(seq: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  writeFrame(frame, 0, seq, payload);
  return frame;
}

/**
 * Writes one frame into `into` at `at` (the caller made room: the header plus 3 bytes per UTF-16 unit of a string
 * payload); returns its length. A string is encoded in place, without a buffer of its own.
 */
export function writeFrame(into: Buffer, at: number, seq: number, payload: Buffer | string): number {
  const length = typeof payload === 'string' ? into.write(payload, at + FRAME_HEADER_BYTES, 'utf8') : payload.copy(into, at + FRAME_HEADER_BYTES);
  into.writeUInt32BE(length, at);
  into.writeUIntBE(seq, at + 8, 6);
  into.writeUInt32BE(crc32(into.subarray(at + 8, at + FRAME_HEADER_BYTES + length)), at + 4);
  return FRAME_HEADER_BYTES + length;
}

/** What decodeFrame found at an offset. */
export type Decoded =
  | { readonly kind: 'frame'; readonly seq: number; readonly payload: Buffer; readonly bytes: number }
  /** Fewer bytes than a whole frame: the end of the data, or a frame cut short by a crash. */
  | { readonly kind: 'short' }
  /** A frame that cannot be one: bad length or checksum. */
  | { readonly kind: 'corrupt'; readonly reason: string };

export function decodeFrame(buf: Buffer, offset: number): Decoded {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { kind: 'short' };
  const length = buf.readUInt32BE(offset);
  if (length > MAX_PAYLOAD_BYTES) return { kind: 'corrupt', reason: `a record length of ${length} bytes` };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > buf.length) return { kind: 'short' };
  const expected = buf.readUInt32BE(offset + 4);
  if (crc32(buf.subarray(offset + 8, end)) !== expected) return { kind: 'corrupt', reason: 'a checksum mismatch' };
  return { kind: 'frame', seq: buf.readUIntBE(offset + 8, 6), payload: buf.subarray(offset + FRAME_HEADER_BYTES, end), bytes: end - offset };
}
