import type { ModelConfig } from '@kvkit/loaders';
import type { Backend, Tensor } from '@kvkit/tensor';

/** Scratch tensors of one forward pass over m tokens, allocated once per chunk size and reused. */
export class Activations implements Disposable {
  readonly m: number;
  readonly x: Tensor;
  readonly xb: Tensor;
  readonly q: Tensor;
  readonly k: Tensor;
  readonly v: Tensor;
  readonly att: Tensor;
  readonly o: Tensor;
  readonly h1: Tensor;
  readonly h3: Tensor;
  readonly last: Tensor;
  readonly logits: Tensor;
  readonly allLogits: Tensor | undefined;

  constructor(backend: Backend, c: ModelConfig, m: number, allLogits: boolean) {
    const f = (...shape: number[]) => backend.tensor('f32', shape);
    this.m = m;
    this.x = f(m, c.dim);
    this.xb = f(m, c.dim);
    this.q = f(m, c.nHeads * c.headDim);
    this.k = f(m, c.nKvHeads * c.headDim);
    this.v = f(m, c.nKvHeads * c.headDim);
    this.att = f(m, c.nHeads * c.headDim);
    this.o = f(m, c.dim);
    this.h1 = f(m, c.hiddenDim);
    this.h3 = f(m, c.hiddenDim);
    this.last = f(1, c.dim);
    this.logits = f(1, c.vocabSize);
    this.allLogits = allLogits ? f(m, c.vocabSize) : undefined;
  }

  [Symbol.dispose](): void {
    for (const t of Object.values(this)) if (t && typeof t === 'object' && 'dispose' in t) (t as Tensor).dispose();
  }
}
