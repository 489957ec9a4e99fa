// Where the fields of a file are, so that mutations can hit counts, lengths, offsets and types on purpose
// instead of waiting for a random bit flip to land there.

export type FieldKind = 'count' | 'length' | 'type' | 'dim' | 'offset' | 'int' | 'float' | 'f16';

export interface Field {
  readonly at: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly kind: FieldKind;
}

/** A byte range that a reader treats as one unit (a metadata entry, a tensor record, a vocabulary entry). */
export interface RecordRange {
  readonly start: number;
  readonly end: number;
  readonly kind: string;
}

export interface Layout {
  readonly fields: Field[];
  /** Offsets where one header part ends and the next begins: truncation points. */
  readonly boundaries: number[];
  readonly records: RecordRange[];
}

export function emptyLayout(): Layout {
  return { fields: [], boundaries: [], records: [] };
}

/** Only what lies inside the file (a walk over a damaged file may have read sizes that point past it). */
function inside(l: Layout, length: number): Layout {
  return {
    fields: l.fields.filter((f) => f.at >= 0 && f.at + f.size <= length),
    boundaries: l.boundaries.filter((b) => b >= 0 && b <= length),
    records: l.records.filter((r) => r.start >= 0 && r.start <= r.end && r.end <= length),
  };
}

/** Reads ahead over a well-formed file; stops quietly where the file stops making sense. */
class Walker {
  readonly view: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fits(n: number): boolean {
    return this.pos + n <= this.bytes.length;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const v = Number(this.view.getBigUint64(this.pos, true));
    this.pos += 8;
    return v;
  }
}

const GGUF_SCALAR_BYTES = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];

/** GGUF: header counts, every key/value and tensor record, and the Q8_0/Q4_0 block scales of the data. */
export function ggufLayout(bytes: Uint8Array): Layout {
  const out = emptyLayout();
  const w = new Walker(bytes);
  const field = (size: Field['size'], kind: FieldKind): void => void out.fields.push({ at: w.pos, size, kind });
  try {
    w.pos = 4;
    field(4, 'int');
    w.u32();
    out.boundaries.push(w.pos);
    field(8, 'count');
    const tensors = w.u64();
    field(8, 'count');
    const kvs = w.u64();
    out.boundaries.push(w.pos);
    let alignment = 32;
    const str = (): string => {
      field(8, 'length');
      const n = w.u64();
      const s = new TextDecoder().decode(w.bytes.subarray(w.pos, w.pos + n));
      w.pos += n;
      return s;
    };
    const value = (type: number): void => {
      if (type === 8) return void str();
      if (type === 9) {
        field(4, 'type');
        const item = w.u32();
        field(8, 'count');
        const n = w.u64();
        for (let i = 0; i < n && w.fits(1); i++) value(item);
        return;
      }
      const size = GGUF_SCALAR_BYTES[type];
      if (size === undefined || size < 0) throw new Error('stop');
      field(size as Field['size'], type === 6 || type === 12 ? 'float' : 'int');
      w.pos += size;
    };
    for (let i = 0; i < kvs; i++) {
      const start = w.pos;
      const key = str();
      field(4, 'type');
      const type = w.u32();
      if (key === 'general.alignment') alignment = w.view.getUint32(w.pos, true);
      value(type);
      out.records.push({ start, end: w.pos, kind: 'kv' });
      out.boundaries.push(w.pos);
    }
    const data: { offset: number; type: number; count: number }[] = [];
    for (let i = 0; i < tensors; i++) {
      const start = w.pos;
      str();
      field(4, 'count');
      const nDims = w.u32();
      let count = 1;
      for (let d = 0; d < nDims; d++) {
        field(8, 'dim');
        count *= w.u64();
      }
      field(4, 'type');
      const type = w.u32();
      field(8, 'offset');
      data.push({ offset: w.u64(), type, count });
      out.records.push({ start, end: w.pos, kind: 'tensor' });
      out.boundaries.push(w.pos);
    }
    const dataStart = Math.ceil(w.pos / alignment) * alignment;
    out.boundaries.push(dataStart);
    for (const t of data) {
      // Q8_0: f16 scale + 32 bytes per block of 32; Q4_0: f16 scale + 16 bytes.
      const block = t.type === 8 ? 34 : t.type === 2 ? 18 : 0;
      if (block === 0) continue;
      for (let b = 0; b < Math.min(t.count / 32, 64); b++) out.fields.push({ at: dataStart + t.offset + b * block, size: 2, kind: 'f16' });
    }
  } catch {
    // A layout of the part that could be walked is enough.
  }
  return inside(out, bytes.length);
}

/** llama2.c v0: the seven int32 header fields, then f32 weights. */
export function llama2cLayout(bytes: Uint8Array): Layout {
  const out = emptyLayout();
  for (let i = 0; i < 7; i++) out.fields.push({ at: 4 * i, size: 4, kind: i === 5 ? 'count' : 'dim' });
  out.boundaries.push(28);
  for (let i = 0; i < 64; i++) out.fields.push({ at: 28 + 4 * Math.floor((i * (bytes.length - 32)) / 256), size: 4, kind: 'float' });
  return inside(out, bytes.length);
}

/** tokenizer.bin: int32 max_token_length, then per token an f32 score, an int32 length and the bytes. */
export function tok512Layout(bytes: Uint8Array): Layout {
  const out = emptyLayout();
  const w = new Walker(bytes);
  out.fields.push({ at: 0, size: 4, kind: 'length' });
  w.pos = 4;
  out.boundaries.push(4);
  while (w.fits(8)) {
    const start = w.pos;
    out.fields.push({ at: w.pos, size: 4, kind: 'float' });
    w.pos += 4;
    out.fields.push({ at: w.pos, size: 4, kind: 'length' });
    const n = w.u32();
    if (!w.fits(n)) break;
    w.pos += n;
    out.records.push({ start, end: w.pos, kind: 'token' });
    out.boundaries.push(w.pos);
  }
  return inside(out, bytes.length);
}

/** safetensors: the header length, the end of the JSON header, and the data section. */
export function safetensorsLayout(bytes: Uint8Array): Layout {
  const out = emptyLayout();
  out.fields.push({ at: 0, size: 8, kind: 'length' });
  out.boundaries.push(8);
  if (bytes.length >= 8) {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    if (n + 8 <= bytes.length) out.boundaries.push(8 + n);
  }
  return inside(out, bytes.length);
}
