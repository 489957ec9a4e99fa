import { crc32 } from './crc32.js';
import { SnapshotChecksumError, SnapshotMagicError, SnapshotMalformedError, SnapshotTruncatedError, SnapshotVersionError } from './snapshot-errors.js';

/** The first 8 bytes of every snapshot: ASCII `KVKSNAP` and a zero byte. */
export const SNAPSHOT_MAGIC = Uint8Array.of(0x4b, 0x56, 0x4b, 0x53, 0x4e, 0x41, 0x50, 0x00);
/** The format version this kvkit writes and the newest it reads. */
export const SNAPSHOT_VERSION = 1;
/** Bytes before the header: magic, version, flags, header length, payload length (u64), two CRC-32s. */
export const SNAPSHOT_PREAMBLE_BYTES = 32;

/**
 * A snapshot's container: a fixed 32-byte preamble, a UTF-8 JSON header and a binary payload, each
 * with its own CRC-32, so a reader can reject damaged bytes before it interprets any of them.
 */
export function encodeContainer(header: object, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(SNAPSHOT_PREAMBLE_BYTES + json.length + payload.length);
  const dv = new DataView(out.buffer);
  out.set(SNAPSHOT_MAGIC, 0);
  dv.setUint16(8, SNAPSHOT_VERSION, true);
  dv.setUint16(10, 0, true);
  dv.setUint32(12, json.length, true);
  dv.setBigUint64(16, BigInt(payload.length), true);
  dv.setUint32(24, crc32(json), true);
  dv.setUint32(28, crc32(payload), true);
  out.set(json, SNAPSHOT_PREAMBLE_BYTES);
  out.set(payload, SNAPSHOT_PREAMBLE_BYTES + json.length);
  return out;
}

export interface DecodedContainer {
  readonly version: number;
  readonly header: Record<string, unknown>;
  readonly payload: Uint8Array;
}

/** Checks magic, version, lengths and both checksums, then parses the header; typed errors for each failure. */
export function decodeContainer(bytes: Uint8Array): DecodedContainer {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotMagicError(`a snapshot is a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  const head = Math.min(bytes.length, SNAPSHOT_MAGIC.length);
  for (let i = 0; i < head; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new SnapshotMagicError('not a kvkit cache snapshot: it does not start with KVKSNAP (pass the bytes session.snapshot() returned)');
  }
  if (bytes.length < SNAPSHOT_PREAMBLE_BYTES) throw new SnapshotTruncatedError(`snapshot truncated: ${bytes.length} bytes, shorter than its ${SNAPSHOT_PREAMBLE_BYTES}-byte preamble`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(8, true);
  if (version === 0 || version > SNAPSHOT_VERSION) {
    throw new SnapshotVersionError(`snapshot format version ${version} is not readable by this kvkit (it reads versions 1 to ${SNAPSHOT_VERSION}): upgrade kvkit or make the snapshot again`);
  }
  const headerLength = dv.getUint32(12, true);
  const payloadLength = Number(dv.getBigUint64(16, true));
  const total = SNAPSHOT_PREAMBLE_BYTES + headerLength + payloadLength;
  if (bytes.length < total) throw new SnapshotTruncatedError(`snapshot truncated: ${bytes.length} of ${total} bytes`);
  if (bytes.length > total) throw new SnapshotMalformedError(`snapshot has ${bytes.length - total} bytes after its payload`);
  const json = bytes.subarray(SNAPSHOT_PREAMBLE_BYTES, SNAPSHOT_PREAMBLE_BYTES + headerLength);
  const payload = bytes.subarray(SNAPSHOT_PREAMBLE_BYTES + headerLength, total);
  if (crc32(json) !== dv.getUint32(24, true)) throw new SnapshotChecksumError('snapshot header checksum mismatch: the bytes were changed or damaged');
  if (crc32(payload) !== dv.getUint32(28, true)) throw new SnapshotChecksumError('snapshot payload checksum mismatch: the bytes were changed or damaged');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new SnapshotMalformedError(`snapshot header is not JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SnapshotMalformedError('snapshot header is not a JSON object');
  return { version, header: header as Record<string, unknown>, payload };
}
