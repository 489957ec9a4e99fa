// The snapshot container: CRC-32 against its check value, the preamble's fields at their documented
// offsets, and a typed error for each way the bytes can be wrong.
import { describe, expect, it } from 'vitest';
import { crc32, decodeContainer, encodeContainer, SNAPSHOT_MAGIC, SNAPSHOT_PREAMBLE_BYTES, SNAPSHOT_VERSION } from '../src/index.js';

describe('snapshot container', () => {
  it('crc32 has the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('lays out magic, version, lengths and checksums as documented', () => {
    const payload = Uint8Array.of(1, 2, 3, 250);
    const bytes = encodeContainer({ hello: 'world' }, payload);
    const dv = new DataView(bytes.buffer);
    const json = new TextEncoder().encode('{"hello":"world"}');
    expect(new TextDecoder().decode(bytes.subarray(0, 7))).toBe('KVKSNAP');
    expect(Array.from(bytes.subarray(0, 8))).toEqual(Array.from(SNAPSHOT_MAGIC));
    expect(dv.getUint16(8, true)).toBe(SNAPSHOT_VERSION);
    expect(dv.getUint32(12, true)).toBe(json.length);
    expect(dv.getBigUint64(16, true)).toBe(4n);
    expect(dv.getUint32(24, true)).toBe(crc32(json));
    expect(dv.getUint32(28, true)).toBe(crc32(payload));
    expect(bytes.length).toBe(SNAPSHOT_PREAMBLE_BYTES + json.length + 4);
    const back = decodeContainer(bytes);
    expect(back.header).toEqual({ hello: 'world' });
    expect(Array.from(back.payload)).toEqual([1, 2, 3, 250]);
  });

  it('typed errors: magic, truncation, version, trailing bytes, checksums, header not an object', () => {
    const good = encodeContainer({ a: 1 }, Uint8Array.of(9, 9));
    const code = (b: Uint8Array) => {
      try {
        decodeContainer(b);
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    const edit = (f: (b: Uint8Array, dv: DataView) => void) => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    expect(code(good)).toBe('ok');
    expect(code(edit((b) => (b[3] = 0)))).toBe('SNAPSHOT_BAD_MAGIC');
    expect(code(good.subarray(0, 5))).toBe('SNAPSHOT_TRUNCATED');
    expect(code(good.subarray(0, good.length - 1))).toBe('SNAPSHOT_TRUNCATED');
    expect(code(edit((_, dv) => dv.setUint16(8, 99, true)))).toBe('SNAPSHOT_VERSION');
    expect(code(edit((_, dv) => dv.setUint16(8, 0, true)))).toBe('SNAPSHOT_VERSION');
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(code(longer)).toBe('SNAPSHOT_MALFORMED');
    expect(code(edit((b) => (b[SNAPSHOT_PREAMBLE_BYTES + 2] = 0x42)))).toBe('SNAPSHOT_CHECKSUM');
    expect(code(edit((b) => (b[b.length - 1] = 0)))).toBe('SNAPSHOT_CHECKSUM');
    expect(code(encodeContainer([1, 2] as unknown as object, new Uint8Array(0)))).toBe('SNAPSHOT_MALFORMED');
  });
});
