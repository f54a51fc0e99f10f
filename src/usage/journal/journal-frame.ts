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
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUIntBE(seq, 8, 6);
  payload.copy(frame, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(crc32(frame.subarray(8)), 4);
  return frame;
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
