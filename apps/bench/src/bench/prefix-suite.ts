// Suite `prefix`: one shared document, many questions. Time to first token with the document's pages
// in the prefix cache vs computed cold; bytes held by N conversations sharing it vs N private caches;
// snapshot size vs bytesUsed and save/restore time per policy and KV dtype.
import type { PolicyInput } from '@kvkit/cache';
import { decodeContainer, PrefixCache } from '@kvkit/cache';
import { LlamaModel, Session } from '@kvkit/runtime';
import type { KvDtype } from '@kvkit/tensor';
import { UsageError } from 'kvkit/commands';
import { openBenchBackend } from '../backend-choice.js';
import { tinyStories } from '../fixtures.js';
import { openModel } from '../model-source.js';
import { fileWindows } from '../text-windows.js';
import type { Check, Table } from './report.js';
import { benchEnv } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, oneOfItem, str } from './suite.js';

const ROW_DTYPES: readonly KvDtype[] = ['f32', 'f16', 'bf16', 'int8'];
const SNAPSHOT_DTYPES: readonly KvDtype[] = ['f32', 'f16', 'int8', 'kivi4', 'kivi2'];
const SNAPSHOT_POLICIES: readonly PolicyInput[] = [{ kind: 'full' }, { kind: 'streaming' }, { kind: 'h2o' }, { kind: 'tova' }, { kind: 'snapkv' }, { kind: 'dynamickv' }];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

export const prefixSuite: Suite = {
  name: 'prefix',
  summary: 'shared prompt prefixes: warm vs cold time to first token, bytes of N conversations over one document, snapshot size and save/restore time',
  help: `kvkit bench prefix [--model <gqa>] [--doc 1984 (quick: 256)] [--questions 8 (quick: 3)] [--question-tokens 16] [--kv-dtypes f32,f16,bf16,int8 (quick: f32,int8)]
                   [--budget 256 (quick: 64)] [--backend wasm|cpu|webgpu] [--threads 1]
                   snapshots: full streaming h2o tova snapkv dynamickv x f32 f16 int8 kivi4 kivi2 (quick: full h2o snapkv x f32 int8 kivi4)`,
  options: {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    doc: { type: 'string' },
    questions: { type: 'string' },
    'question-tokens': { type: 'string' },
    'kv-dtypes': { type: 'string' },
    budget: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
  },
  async run(a, ctx) {
    const t0 = performance.now();
    const docLen = listArg(a.doc, 'doc', [ctx.quick ? 256 : 1984], intItem(16))[0]!;
    const nQuestions = listArg(a.questions, 'questions', [ctx.quick ? 3 : 8], intItem(1))[0]!;
    const qLen = listArg(a['question-tokens'], 'question-tokens', [16], intItem(1))[0]!;
    const dtypes = listArg<KvDtype>(a['kv-dtypes'], 'kv-dtypes', ctx.quick ? ['f32', 'int8'] : ROW_DTYPES, oneOfItem<KvDtype>(ROW_DTYPES));
    const budget = listArg(a.budget, 'budget', [ctx.quick ? 64 : 256], intItem(16))[0]!;
    const threads = listArg(a.threads, 'threads', [1], intItem(1))[0]!;
    const loaded = await openModel(str(a, 'model'), str(a, 'tokenizer'));
    const c = loaded.config;
    if (docLen + qLen + 1 >= c.contextLength) throw new UsageError(`--doc ${docLen} + --question-tokens ${qLen} must stay under the model's context of ${c.contextLength}`);
    const { backend } = await openBenchBackend(str(a, 'backend'), threads);
    using model = LlamaModel.load(backend, loaded);
    const doc = fileWindows(loaded.tokenizer, tinyStories(), 200_000, 1, docLen)[0]!;
    const questions = fileWindows(loaded.tokenizer, tinyStories(), 200_000, nQuestions + 1, qLen + 1)
      .slice(1)
      .map((w) => w.slice(1));
    const newPrefixCache = (kvDtype: KvDtype) =>
      new PrefixCache(backend, { nLayers: c.nLayers, nKvHeads: c.nKvHeads, headDim: c.headDim, kvSource: c.kvSource, kvDtype, pages: (nQuestions + 2) * model.config.nLayers * c.nKvHeads * Math.ceil(c.contextLength / 16), maxBytes: 1 << 30 });

    // 1. Time to first token: the whole prompt computed (cold) vs the document's pages adopted (warm).
    const ttft: { kvDtype: KvDtype; coldMs: number; warmMs: number; speedup: number; reused: number; sameLogits: boolean }[] = [];
    const progress = ctx.progress('bench prefix', dtypes.length * nQuestions + (ctx.quick ? 9 : SNAPSHOT_POLICIES.length * SNAPSHOT_DTYPES.length));
    for (const kvDtype of dtypes) {
      using pc = newPrefixCache(kvDtype);
      {
        using first = new Session(model, { prefixCache: pc }); // fills the prefix cache (not timed)
        await first.append([...doc, ...questions[0]!]);
      }
      const cold: number[] = [];
      const warm: number[] = [];
      let reused = Infinity;
      let same = true;
      for (const q of questions) {
        progress.update(`TTFT ${kvDtype}`);
        using c0 = new Session(model, { kvDtype, layout: 'paged' });
        const coldRun = await timed(() => c0.append([...doc, ...q]));
        using w0 = new Session(model, { prefixCache: pc });
        const warmRun = await timed(() => w0.append([...doc, ...q]));
        cold.push(coldRun.ms);
        warm.push(warmRun.ms);
        reused = Math.min(reused, w0.reusedPrefixTokens);
        same &&= coldRun.value.every((x, i) => Math.abs(x - warmRun.value[i]!) <= 1e-4);
        progress.tick();
      }
      ttft.push({ kvDtype, coldMs: median(cold), warmMs: median(warm), speedup: median(cold) / median(warm), reused, sameLogits: same });
    }

    // 2. Bytes of N conversations alive together over the document vs N private caches.
    using pc = newPrefixCache('f32');
    const memory = await sharedMemory(model, pc, doc, questions);

    // 3. Snapshots: size vs bytesUsed, save and restore time, per policy and KV dtype.
    const snapDoc = doc.slice(0, Math.min(doc.length, 512));
    const snaps: { policy: string; kvDtype: KvDtype; tokens: number; bytesUsed: number; snapshotBytes: number; kvBytes: number; overhead: number; saveMs: number; restoreMs: number }[] = [];
    const snapPolicies = ctx.quick ? SNAPSHOT_POLICIES.filter((p) => ['full', 'h2o', 'snapkv'].includes(p.kind)) : SNAPSHOT_POLICIES;
    const snapDtypes: readonly KvDtype[] = ctx.quick ? ['f32', 'int8', 'kivi4'] : SNAPSHOT_DTYPES;
    for (const policy of snapPolicies) {
      for (const kvDtype of snapDtypes) {
        progress.update(`snapshot ${policy.kind} ${kvDtype}`);
        using s = new Session(model, { kvDtype, ...(policy.kind === 'full' ? {} : { policy: { policy, budget: { budget } } }) });
        await s.append(snapDoc);
        const save = await timed(() => s.snapshot());
        const restore = await timed(async () => Session.restore(model, save.value));
        restore.value[Symbol.dispose]();
        const header = decodeContainer(save.value).header as { cache: { kvBytes: number } };
        const used = s.stats().bytesUsed;
        snaps.push({ policy: policy.kind, kvDtype, tokens: snapDoc.length, bytesUsed: used, snapshotBytes: save.value.length, kvBytes: header.cache.kvBytes, overhead: save.value.length - used, saveMs: save.ms, restoreMs: restore.ms });
        progress.tick();
      }
    }
    progress.finish();
    backend[Symbol.dispose]();

    const tables: Table[] = [
      {
        title: `Time to first token: a ${docLen}-token document + a ${qLen}-token question, ${nQuestions} questions (median)`,
        columns: ['KV dtype', 'cold (ms)', 'warm (ms)', 'cold / warm', 'tokens reused', 'logits equal (1e-4)'],
        rows: ttft.map((r) => [r.kvDtype, r.coldMs, r.warmMs, r.speedup, r.reused, r.sameLogits]),
        note: 'cold: the whole prompt computed in a fresh session; warm: the document\'s whole pages adopted from the prefix cache, the question computed. Full caches here; a policy (not H2O) compresses each conversation\'s own copy after its whole prompt.',
      },
      {
        title: `Bytes of ${nQuestions} conversations over the document (each: a question and 16 generated tokens), f32`,
        columns: ['conversations', 'shared (prefix cache)', 'private (sum)', 'one conversation', 'shared / one'],
        rows: [[nQuestions, memory.sharedBytes, memory.privateBytes, memory.oneBytes, memory.sharedBytes / memory.oneBytes]],
        note: 'shared: pool pages in use x bytes per page while all conversations are alive; private: the sum of each private cache\'s bytesReserved.',
      },
      {
        title: `Snapshots of a ${snapDoc.length}-token prompt at a budget of ${budget}: size vs bytesUsed, save and restore time`,
        columns: ['policy', 'KV dtype', 'bytesUsed', 'snapshot', 'K/V part', 'overhead', 'save (ms)', 'restore (ms)'],
        rows: snaps.map((r) => [r.policy, r.kvDtype, r.bytesUsed, r.snapshotBytes, r.kvBytes, r.overhead, r.saveMs, r.restoreMs]),
        note: 'overhead = snapshot - bytesUsed: header (JSON: options, per-head lengths, reports), positions (run-length), tokens, H2O/TOVA scores (8 bytes per token per head); KIVI adds the residual rows of evicted tokens.',
      },
    ];
    const rowSnaps = snaps.filter((r) => !r.kvDtype.startsWith('kivi'));
    const checks: Check[] = [
      {
        name: 'warm-prefix TTFT at least 5x lower than cold',
        ok: ttft.every((r) => r.speedup >= 5),
        skipped: ctx.quick,
        detail: ttft.map((r) => `${r.kvDtype}: ${r.speedup.toFixed(1)}x`).join(', ') + (ctx.quick ? ' (quick: a short document, reported only)' : ''),
      },
      { name: 'warm logits equal cold logits', ok: ttft.every((r) => r.sameLogits && r.reused === docLen), detail: `reused ${Math.min(...ttft.map((r) => r.reused))} of ${docLen} tokens` },
      { name: `${nQuestions} shared conversations hold under 1.5x one`, ok: memory.sharedBytes < 1.5 * memory.oneBytes, detail: `${(memory.sharedBytes / memory.oneBytes).toFixed(2)}x one, vs ${(memory.privateBytes / memory.oneBytes).toFixed(2)}x private` },
      { name: 'snapshot K/V part equals bytesUsed (row formats)', ok: rowSnaps.every((r) => r.kvBytes === r.bytesUsed), detail: `${rowSnaps.length} snapshots` },
    ];
    return {
      suite: 'prefix',
      quick: ctx.quick,
      env: benchEnv(),
      params: { model: str(a, 'model') ?? 'gqa (packages/models)', doc: docLen, questions: nQuestions, questionTokens: qLen, kvDtypes: dtypes, budget, backend: str(a, 'backend') ?? 'wasm', threads },
      durationMs: performance.now() - t0,
      checks,
      tables,
      plots: [],
      data: { ttft, memory, snapshots: snaps },
    };
  },
};

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** N conversations alive together on the prefix cache's pool vs N private caches. */
async function sharedMemory(model: LlamaModel, pc: PrefixCache, doc: number[], questions: number[][]): Promise<{ sharedBytes: number; privateBytes: number; oneBytes: number }> {
  const run = async (s: Session, q: number[]) => {
    let logits = await s.append([...doc, ...q]);
    for (let i = 0; i < 16; i++) logits = await s.append([argmax(logits)]);
  };
  const shared: Session[] = [];
  const priv: Session[] = [];
  try {
    for (const q of questions) {
      const s = new Session(model, { prefixCache: pc });
      shared.push(s);
      await run(s, q);
    }
    const sharedBytes = pc.pool.pagesInUse * pc.pool.bytesPerPage;
    for (const q of questions) {
      const s = new Session(model, { layout: 'paged' });
      priv.push(s);
      await run(s, q);
    }
    const privateBytes = priv.reduce((a, s) => a + s.stats().bytesReserved, 0);
    return { sharedBytes, privateBytes, oneBytes: priv[0]!.stats().bytesReserved };
  } finally {
    for (const s of [...shared, ...priv]) s[Symbol.dispose]();
  }
}
