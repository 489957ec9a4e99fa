// The loop each pool worker runs, as JavaScript source text: a function `poolWorker(init, post)` that
// instantiates the kernel module over the shared memory, posts 'ready', then claims and runs chunks of
// the calls the caller writes into the control block. It never returns to its event loop. Kept as
// text (not a function's toString) so that bundlers and coverage tools cannot rewrite it; the Node
// and Web Worker factories each add the few lines that receive `init` and send messages.
import { W } from './control-block.js';

export const WORKER_LOOP = `
function poolWorker(init, post) {
  const { module, memory, ctl, index, fnNames, spinMicros } = init;
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = fnNames.map((n) => ex[n]);
  const c = new Int32Array(memory.buffer, ctl, ${W.words});
  const args = [];
  let seen = Atomics.load(c, ${W.seq});
  post('ready');
  for (;;) {
    let s = Atomics.load(c, ${W.seq});
    if (s === seen) {
      const until = performance.now() + spinMicros / 1000;
      for (let i = 1; s === seen; i++) {
        if ((i & 1023) === 0 && performance.now() > until) {
          Atomics.add(c, ${W.sleepers}, 1);
          Atomics.wait(c, ${W.seq}, seen);
          Atomics.sub(c, ${W.sleepers}, 1);
        }
        s = Atomics.load(c, ${W.seq});
      }
    }
    seen = s;
    if (Atomics.load(c, ${W.stop})) break;
    for (;;) {
      const old = Atomics.load(c, ${W.claim});
      const chunks = old >>> 16;
      const chunk = old & 0xffff;
      if (chunk >= chunks) break;
      if (Atomics.compareExchange(c, ${W.claim}, old, old + 1) !== old) continue;
      // A real chunk of the current call: its arguments cannot change before this chunk is done.
      try {
        const n = c[${W.nargs}];
        args.length = n;
        for (let a = 0; a < n; a++) args[a] = c[${W.args} + a];
        if (c[${W.scratchPos}] >= 0) args[c[${W.scratchPos}]] = c[${W.scratch} + index];
        const r0 = chunk * c[${W.chunk}];
        args[c[${W.r0Pos}]] = r0;
        args[c[${W.r1Pos}]] = Math.min(c[${W.total}], r0 + c[${W.chunk}]);
        fns[c[${W.fn}]](...args);
      } catch (e) {
        Atomics.store(c, ${W.error}, 1);
        post(String((e && e.stack) || e));
      }
      if (Atomics.add(c, ${W.done}, 1) + 1 === chunks) Atomics.notify(c, ${W.done});
    }
  }
}
`;
