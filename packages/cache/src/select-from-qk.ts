import type { Backend } from '@kvkit/tensor';
import { ShapeMismatchError } from '@kvkit/tensor';
import { KvCache } from './kv-cache.js';
import type { CachePolicyOptions, CompressionReport } from './policy-runner.js';
import { PolicyRunner } from './policy-runner.js';

/** Query and key vectors of a prompt per layer: `q[layer][head][n][d]`, `k[layer][kvHead][n][d]` (keys rotated). */
export interface PromptQK {
  readonly q: readonly (readonly (readonly (readonly number[])[])[])[];
  readonly k: readonly (readonly (readonly (readonly number[])[])[])[];
}

/**
 * The prompt positions a policy keeps for given queries and keys, computed exactly as in a model's
 * prefill: the keys go into a real cache, the backend's attention produces the statistics, the
 * policy runner selects and the layout compacts. Returns `kept[layer][kvHead]` ascending.
 */
export async function selectFromQK(backend: Backend, input: PromptQK, opts: CachePolicyOptions): Promise<{ kept: number[][][]; report: CompressionReport }> {
  const L = input.q.length;
  if (L === 0 || input.k.length !== L) throw new ShapeMismatchError(`q has ${L} layers, k has ${input.k.length}`);
  const H = input.q[0]!.length;
  const Hkv = input.k[0]!.length;
  const n = input.q[0]![0]?.length ?? 0;
  const d = input.q[0]![0]?.[0]?.length ?? 0;
  if (!(H > 0 && Hkv > 0 && H % Hkv === 0 && n > 0 && d > 0)) {
    throw new ShapeMismatchError(`need q[L][H][n][d] and k[L][Hkv][n][d] with H a multiple of Hkv; got H=${H}, Hkv=${Hkv}, n=${n}, d=${d}`);
  }
  const flatten = (x: PromptQK['q'][number], heads: number, what: string) => {
    const out = new Float32Array(n * heads * d);
    if (x.length !== heads) throw new ShapeMismatchError(`${what}: ${x.length} heads, expected ${heads}`);
    x.forEach((head, h) => {
      if (head.length !== n) throw new ShapeMismatchError(`${what}: head ${h} has ${head.length} positions, expected ${n}`);
      head.forEach((row, i) => {
        if (row.length !== d) throw new ShapeMismatchError(`${what}: head ${h} position ${i} has ${row.length} values, expected ${d}`);
        for (let c = 0; c < d; c++) out[(i * heads + h) * d + c] = row[c]!;
      });
    });
    return out;
  };
  using cache = new KvCache(backend, { nLayers: L, nKvHeads: Hkv, headDim: d, maxTokens: n, layout: 'paged' });
  using runner = new PolicyRunner(backend, cache, H, opts);
  const positions = Int32Array.from({ length: n }, (_, i) => i);
  const out = backend.tensor('f32', [n, H * d]);
  for (let l = 0; l < L; l++) {
    using q = backend.tensor('f32', [n, H * d], flatten(input.q[l]!, H, `q[${l}]`));
    using k = backend.tensor('f32', [n, Hkv * d], flatten(input.k[l]!, Hkv, `k[${l}]`));
    cache.write(l, positions, k, k);
    const stats = runner.statsFor(l, 'prefill');
    backend.attention(out, q, positions, cache.view(l), { nHeads: H, scale: 1 / Math.sqrt(d), ...(stats ? { stats } : {}) });
  }
  out.dispose();
  const report = (await runner.afterAppend(n, 'prefill'))!;
  const kept = Array.from({ length: L }, (_, l) => Array.from({ length: Hkv }, (_, h) => Array.from(cache.layer(l).positionsOf(h)).sort((a, b) => a - b)));
  return { kept, report };
}
