// A tiny WebAssembly binary assembler: just the sections, control flow, scalar and SIMD opcodes the
// kernels need. Kernels are written as TypeScript that emits code (so they can be unrolled and
// specialised by ordinary loops), and the module is assembled in memory when a backend starts.

/** Value types. */
export const i32 = 0x7f;
export const i64 = 0x7e;
export const f32 = 0x7d;
export const f64 = 0x7c;
export const v128 = 0x7b;
export type ValType = typeof i32 | typeof i64 | typeof f32 | typeof f64 | typeof v128;

export function uleb(n: number, out: number[] = []): number[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`uleb of ${n}`);
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export function sleb(n: number, out: number[] = []): number[] {
  if (!Number.isInteger(n)) throw new RangeError(`sleb of ${n}`);
  let more = true;
  while (more) {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) more = false;
    else b |= 0x80;
    out.push(b);
  }
  return out;
}

function f32Bytes(x: number): number[] {
  return [...new Uint8Array(Float32Array.of(x).buffer)];
}

function f64Bytes(x: number): number[] {
  return [...new Uint8Array(Float64Array.of(x).buffer)];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

/** SIMD opcodes (after the 0xfd prefix) used by the kernels. */
export const SIMD = {
  'v128.load': 0x00,
  'v128.load8x8_s': 0x01,
  'v128.load32_splat': 0x09,
  'v128.store': 0x0b,
  'v128.const': 0x0c,
  'i8x16.splat': 0x0f,
  'i16x8.splat': 0x10,
  'i32x4.splat': 0x11,
  'f32x4.splat': 0x13,
  'f64x2.splat': 0x14,
  'i32x4.extract_lane': 0x1b,
  'f32x4.extract_lane': 0x1f,
  'f32x4.replace_lane': 0x20,
  'f64x2.extract_lane': 0x21,
  'f32x4.gt': 0x44,
  'v128.and': 0x4e,
  'v128.or': 0x50,
  'v128.bitselect': 0x52,
  'v128.load32_zero': 0x5c,
  'f64x2.promote_low_f32x4': 0x5f,
  'f32x4.nearest': 0x6a,
  'i8x16.shr_u': 0x6d,
  'i8x16.sub': 0x71,
  'i16x8.extend_low_i8x16_s': 0x87,
  'i16x8.extend_high_i8x16_s': 0x88,
  'i16x8.add': 0x8e,
  'i16x8.extmul_low_i8x16_s': 0x9c,
  'i16x8.extmul_high_i8x16_s': 0x9d,
  'i32x4.extadd_pairwise_i16x8_s': 0x7e,
  'i32x4.extend_low_i16x8_s': 0xa7,
  'i32x4.extend_high_i16x8_s': 0xa8,
  'i32x4.shl': 0xab,
  'i32x4.add': 0xae,
  'i32x4.dot_i16x8_s': 0xba,
  'i16x8.narrow_i32x4_s': 0x85,
  'f32x4.abs': 0xe0,
  'f32x4.add': 0xe4,
  'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7,
  'f32x4.min': 0xe8,
  'f32x4.max': 0xe9,
  'f64x2.add': 0xf0,
  'f64x2.mul': 0xf2,
  'i32x4.trunc_sat_f32x4_s': 0xf8,
  'f32x4.convert_i32x4_s': 0xfa,
} as const;
export type SimdOp = keyof typeof SIMD;

/** Plain (one-byte) opcodes used by the kernels. */
export const OP = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  'local.get': 0x20,
  'local.set': 0x21,
  'local.tee': 0x22,
  'i32.load': 0x28,
  'f32.load': 0x2a,
  'f64.load': 0x2b,
  'i32.load8_s': 0x2c,
  'i32.load8_u': 0x2d,
  'i32.load16_u': 0x2f,
  'i32.store': 0x36,
  'f32.store': 0x38,
  'f64.store': 0x39,
  'i32.store8': 0x3a,
  'i32.const': 0x41,
  'f32.const': 0x43,
  'f64.const': 0x44,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b,
  'i32.le_s': 0x4c,
  'i32.le_u': 0x4d,
  'i32.ge_s': 0x4e,
  'i32.ge_u': 0x4f,
  'f32.eq': 0x5b,
  'f32.lt': 0x5d,
  'f32.gt': 0x5e,
  'f32.le': 0x5f,
  'f32.ge': 0x60,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.div_u': 0x6e,
  'i32.rem_u': 0x70,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.shl': 0x74,
  'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'f32.abs': 0x8b,
  'f32.neg': 0x8c,
  'f32.sqrt': 0x91,
  'f32.add': 0x92,
  'f32.sub': 0x93,
  'f32.mul': 0x94,
  'f32.div': 0x95,
  'f32.min': 0x96,
  'f32.max': 0x97,
  'f64.add': 0xa0,
  'f64.sub': 0xa1,
  'f64.mul': 0xa2,
  'f64.div': 0xa3,
  'f32.convert_i32_s': 0xb2,
  'f32.demote_f64': 0xb6,
  'f64.promote_f32': 0xbb,
} as const;
export type PlainOp = keyof typeof OP;

const MEM_OPS = new Set<string>(['i32.load', 'f32.load', 'f64.load', 'i32.load8_s', 'i32.load8_u', 'i32.load16_u', 'i32.store', 'f32.store', 'f64.store', 'i32.store8']);
const NATURAL_ALIGN: Record<string, number> = {
  'i32.load': 2,
  'f32.load': 2,
  'f64.load': 3,
  'i32.load8_s': 0,
  'i32.load8_u': 0,
  'i32.load16_u': 1,
  'i32.store': 2,
  'f32.store': 2,
  'f64.store': 3,
  'i32.store8': 0,
};

/** A local variable (its index) with its type, so helpers can pick typed instructions. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/**
 * One function body. Methods append instructions; `block`, `loop` and `if` take callbacks for their
 * bodies so nesting mirrors the structure of the code. Branch depths are counted by the caller.
 */
export class FnBuilder {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly paramLocals: Local[];
  readonly #locals: ValType[] = [];
  readonly #code: number[] = [];
  index = -1;
  exported: boolean;

  constructor(name: string, params: readonly ValType[], results: readonly ValType[], exported: boolean) {
    this.name = name;
    this.params = params;
    this.results = results;
    this.exported = exported;
    this.paramLocals = params.map((type, index) => ({ index, type }));
  }

  local(type: ValType): Local {
    this.#locals.push(type);
    return { index: this.params.length + this.#locals.length - 1, type };
  }

  op(name: PlainOp, ...imm: number[]): this {
    this.#code.push(OP[name], ...imm);
    return this;
  }

  /** A load or store with a constant byte offset (alignment hint = natural). */
  mem(name: PlainOp, offset = 0): this {
    if (!MEM_OPS.has(name)) throw new Error(`${name} is not a memory op`);
    this.#code.push(OP[name], ...uleb(NATURAL_ALIGN[name]!), ...uleb(offset));
    return this;
  }

  simd(name: SimdOp, ...imm: number[]): this {
    this.#code.push(0xfd, ...uleb(SIMD[name]), ...imm);
    return this;
  }

  /** v128.load / v128.store / load32_splat / load32_zero with a byte offset (alignment hint 1 byte: no promise). */
  vmem(name: 'v128.load' | 'v128.load8x8_s' | 'v128.store' | 'v128.load32_splat' | 'v128.load32_zero', offset = 0): this {
    return this.simd(name, ...uleb(0), ...uleb(offset));
  }

  lane(name: 'i32x4.extract_lane' | 'f32x4.extract_lane' | 'f32x4.replace_lane' | 'f64x2.extract_lane', lane: number): this {
    return this.simd(name, lane);
  }

  get(l: Local): this {
    return this.op('local.get', ...uleb(l.index));
  }

  set(l: Local): this {
    return this.op('local.set', ...uleb(l.index));
  }

  tee(l: Local): this {
    return this.op('local.tee', ...uleb(l.index));
  }

  i32(n: number): this {
    return this.op('i32.const', ...sleb(n | 0));
  }

  f32(x: number): this {
    return this.op('f32.const', ...f32Bytes(x));
  }

  f64(x: number): this {
    return this.op('f64.const', ...f64Bytes(x));
  }

  /** v128.const of four f32 lanes (or one value splatted). */
  f32x4(a: number, b = a, c = a, d = a): this {
    return this.simd('v128.const', ...f32Bytes(a), ...f32Bytes(b), ...f32Bytes(c), ...f32Bytes(d));
  }

  i32x4(a: number, b = a, c = a, d = a): this {
    const bytes = new Uint8Array(Int32Array.of(a, b, c, d).buffer);
    return this.simd('v128.const', ...bytes);
  }

  i8x16(a: number): this {
    return this.simd('v128.const', ...new Array<number>(16).fill(a & 255));
  }

  /** local = local + n (i32). */
  inc(l: Local, n: number | Local): this {
    this.get(l);
    if (typeof n === 'number') this.i32(n);
    else this.get(n);
    return this.op('i32.add').set(l);
  }

  block(body: () => void): this {
    this.op('block', 0x40);
    body();
    return this.op('end');
  }

  loop(body: () => void): this {
    this.op('loop', 0x40);
    body();
    return this.op('end');
  }

  /** if (cond on stack) then ... else ... end */
  if(then: () => void, otherwise?: () => void): this {
    this.op('if', 0x40);
    then();
    if (otherwise) {
      this.op('else');
      otherwise();
    }
    return this.op('end');
  }

  br(depth: number): this {
    return this.op('br', ...uleb(depth));
  }

  brIf(depth: number): this {
    return this.op('br_if', ...uleb(depth));
  }

  call(fn: FnBuilder): this {
    if (fn.index < 0) throw new Error(`call of ${fn.name} before it was added to a module`);
    return this.op('call', ...uleb(fn.index));
  }

  /**
   * for (i = from; i < to; i += step) body — `to` re-read each iteration. The body sits inside a
   * block (depth 1 = exit) and a loop (depth 0 = continue from the top, without the increment).
   */
  for(i: Local, from: number | Local | (() => void), to: Local | (() => void), step: number | Local, body: () => void): this {
    if (typeof from === 'number') this.i32(from);
    else if (typeof from === 'function') from();
    else this.get(from);
    this.set(i);
    return this.block(() =>
      this.loop(() => {
        this.get(i);
        if (typeof to === 'function') to();
        else this.get(to);
        this.op('i32.ge_s').brIf(1);
        body();
        this.inc(i, step).br(0);
      }),
    );
  }

  encode(): number[] {
    // Locals: run-length groups of equal types.
    const groups: [number, ValType][] = [];
    for (const t of this.#locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...uleb(groups.length)];
    for (const [n, t] of groups) body.push(...uleb(n), t);
    body.push(...this.#code, OP.end);
    return [...uleb(body.length), ...body];
  }
}

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly initial: number;
  readonly maximum: number;
  readonly shared: boolean;
}

/** A module that imports one memory and defines functions. */
export class ModuleBuilder {
  readonly #fns: FnBuilder[] = [];
  readonly #memory: MemoryImport;

  constructor(memory: MemoryImport) {
    this.#memory = memory;
  }

  fn(name: string, params: readonly ValType[], results: readonly ValType[] = [], exported = true): FnBuilder {
    const f = new FnBuilder(name, params, results, exported);
    f.index = this.#fns.length;
    this.#fns.push(f);
    return f;
  }

  encode(): Uint8Array {
    const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
    const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
    // One type per function (duplicates are harmless).
    const types = vec(this.#fns.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]));
    const m = this.#memory;
    const limits = [m.shared ? 0x03 : 0x01, ...uleb(m.initial), ...uleb(m.maximum)];
    const imports = vec([[...name(m.module), ...name(m.name), 0x02, ...limits]]);
    const funcs = vec(this.#fns.map((_, i) => uleb(i)));
    const exports = vec(this.#fns.filter((f) => f.exported).map((f) => [...name(f.name), 0x00, ...uleb(f.index)]));
    const code = vec(this.#fns.map((f) => f.encode()));
    return Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, types),
      ...section(2, imports),
      ...section(3, funcs),
      ...section(7, exports),
      ...section(10, code),
    ]);
  }
}
