// What a kernel file exports: a WGSL generator whose result carries its shader key (what makes the
// program unique), its bindings in order and its uniform parameters. The backend packs the
// parameters, binds the buffers and caches the pipeline by `key`.

/** 'uniform': the Params block (always binding 0); 'read' / 'rw': storage buffers. */
export type BindingKind = 'uniform' | 'read' | 'rw';
export type ParamType = 'u32' | 'i32' | 'f32';
export type ParamFields = readonly (readonly [name: string, type: ParamType])[];

export interface KernelSpec {
  /** Unique per generated source: the kernel name plus every choice baked into the WGSL. */
  readonly key: string;
  readonly code: string;
  /** Kind of binding i of group 0. Binding 0 is the uniform Params block. */
  readonly bindings: readonly BindingKind[];
  readonly params: ParamFields;
  /** Invocations per workgroup (for the host's dispatch arithmetic). */
  readonly workgroupSize: number;
}

/** `struct Params { ... }` for a field list (scalars only, so offsets are 4 * index). */
export function paramsStruct(fields: ParamFields): string {
  return `struct Params {\n${fields.map(([n, t]) => `  ${n}: ${t},`).join('\n')}\n}\n`;
}

/** Bytes of the Params block: 4 per field, rounded up to 16 (uniform buffer layout). */
export function paramsSize(fields: ParamFields): number {
  return Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
}

/** Pack parameter values (in field order) into a uniform block. */
export function packParams(fields: ParamFields, values: readonly number[]): Uint8Array {
  if (values.length !== fields.length) throw new Error(`params: ${values.length} values for ${fields.length} fields`);
  const out = new Uint8Array(paramsSize(fields));
  const dv = new DataView(out.buffer);
  fields.forEach(([, type], i) => {
    const v = values[i]!;
    if (type === 'f32') dv.setFloat32(4 * i, v, true);
    else if (type === 'i32') dv.setInt32(4 * i, v, true);
    else dv.setUint32(4 * i, v, true);
  });
  return out;
}

/** Binding declarations of group 0, binding 0 being `p: Params`. */
export function bindingDecls(decls: readonly (readonly [kind: BindingKind, name: string, type: string])[]): string {
  return decls
    .map(([kind, name, type], i) => {
      const space = kind === 'uniform' ? 'uniform' : kind === 'read' ? 'storage, read' : 'storage, read_write';
      return `@group(0) @binding(${i}) var<${space}> ${name}: ${type};`;
    })
    .join('\n');
}

/** Workgroup index over a 2D grid (dispatches beyond 65535 workgroups wrap into y). */
export const LINEAR_WORKGROUP = /* wgsl */ `
fn linear_wg(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }
`;

/** Exact binary16 -> f32, subnormals included (no shader-f16 needed). */
export const F16_BITS = /* wgsl */ `
fn f16_bits(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) {
    let v = f32(m) * 5.9604644775390625e-8;
    return select(v, -v, s != 0u);
  }
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}
`;

/** A tree reduction (sum or max) of `red[0..N)` in workgroup memory; every invocation must call it. */
export function treeReduce(fn: 'sum' | 'max', size: number, array = 'red', index = 't'): string {
  const op = fn === 'sum' ? `${array}[${index}] + ${array}[${index} + s]` : `max(${array}[${index}], ${array}[${index} + s])`;
  return `
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (${index} < s) { ${array}[${index}] = ${op}; }
    workgroupBarrier();
  }`;
}
