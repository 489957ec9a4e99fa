import { readGguf, loadLlamaGguf } from '@kvkit/loaders';
import { kvSourceMlkv, marginalBytesPerToken, sharingSchemes } from '@kvkit/cache';
import { describe, expect, it } from 'vitest';
import { fmtBytes, PUBLISHED_CONFIGS } from '../src/bench/memory-suite.js';
import { minimalTokenizer, mulberry32, parameterCount, randomWeights, shapeConfig, SHAPES } from '../src/bench/models.js';
import { writeLlamaGguf } from '@kvkit/loaders';
import { fmtCell, markdownTable, median, reportJson, reportMarkdown } from '../src/bench/report.js';
import type { SuiteReport } from '../src/bench/report.js';
import { barChart, escapeXml, lineChart, niceTicks } from '../src/bench/svg.js';
import { agreement, randomPrompt, rates } from '../src/bench/timing.js';
import { benchPolicy } from '../src/bench/quality-suite.js';

describe('model shapes', () => {
  it('gives the stated sizes: stories15M and stories110M shapes with a tied classifier', () => {
    expect(parameterCount(SHAPES['15m']!)).toBe(15_191_712);
    expect(parameterCount(SHAPES['110m']!)).toBe(109_529_856);
    for (const s of ['15m', '110m']) expect(Math.abs(parameterCount(SHAPES[s]!) / SHAPES[s]!.nominalParams - 1)).toBeLessThan(0.05);
  });

  it('writes a random model as GGUF that reads back with its config, tokenizer and weights', () => {
    const shape = SHAPES.tiny!;
    const config = shapeConfig(shape, 256);
    const weights = randomWeights(config, 5);
    const tok = minimalTokenizer(shape.vocabSize);
    expect(tok.vocabSize).toBe(512);
    expect(tok.byteIds[0x41]).toBe(3 + 0x41);
    for (const dtype of ['f32', 'q8_0'] as const) {
      const back = loadLlamaGguf(readGguf(writeLlamaGguf(config, weights, tok, { dtype })));
      expect(back.config).toMatchObject({ dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, hiddenDim: 128, vocabSize: 512, contextLength: 256, tiedEmbeddings: true });
      expect(back.weights.layers[1]!.wq.dtype).toBe(dtype);
      expect(back.tokenizer!.encode('hi', { bos: true })[0]).toBe(1);
    }
    // Same seed, same bytes.
    expect(randomWeights(config, 5).layers[0]!.w1.data).toEqual(weights.layers[0]!.w1.data);
    const r = mulberry32(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('memory formulas', () => {
  it("reproduces the MLKV paper's OPT-175B row through the sharing maps", () => {
    const opt = PUBLISHED_CONFIGS.find((c) => c.name === 'OPT-175B')!;
    const byName = Object.fromEntries(sharingSchemes(opt).map((s) => [s.name, s]));
    expect(byName.MLKV!.kvSource).toEqual(kvSourceMlkv(96, 24));
    const gib = (s: (typeof byName)[string]) => (marginalBytesPerToken({ kvSource: s!.kvSource, nKvHeads: s!.nKvHeads, headDim: 128, kvDtype: 'f16' }) * 32768) / 2 ** 30;
    expect(gib(byName.MHA)).toBe(144);
    expect(gib(byName.MQA)).toBe(1.5);
    expect(gib(byName.MLKV)).toBe(0.375);
  });

  it('counts only the global layer of YOCO per token, and has no YOCO for an odd layer count', () => {
    const llama3 = PUBLISHED_CONFIGS.find((c) => c.name === 'Llama-3-8B')!;
    const yoco = sharingSchemes(llama3).find((s) => s.name === 'YOCO')!;
    expect(marginalBytesPerToken({ kvSource: yoco.kvSource, nKvHeads: 8, headDim: 128, kvDtype: 'f16', slidingWindow: yoco.slidingWindow! })).toBe(2 * 8 * 128 * 2);
    const stories = PUBLISHED_CONFIGS.find((c) => c.name === 'stories260K')!;
    expect(sharingSchemes(stories).map((s) => s.name)).not.toContain('YOCO');
    expect(fmtBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
    expect(fmtBytes(1000)).toBe('1000 B');
  });
});

describe('charts and reports', () => {
  it('draws line and bar charts as standalone SVG', () => {
    const svg = lineChart({ title: 'a <b> & c', xLabel: 'x', yLabel: 'y', xLog: true, yLog: true, series: [{ name: 's1', points: [[32, 0.1], [64, 0.01], [128, NaN]] }, { name: 's2', points: [[32, 1], [64, 2]], dashed: true }] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expect(svg).toContain('<path d="M');
    expect(svg).not.toContain('NaN');
    const bars = barChart({ title: 't', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 'r', values: [1, 2] }], hLines: [{ y: 1, label: 'parity' }] });
    expect(bars.match(/<rect /g)!.length).toBeGreaterThanOrEqual(4);
    expect(escapeXml(`"'`)).toBe('&quot;&apos;');
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('formats tables and the JSON envelope with the suite data at the top level', () => {
    expect(markdownTable({ title: 't', columns: ['a', 'b'], rows: [['x|y', 1.23456], ['z', 2]] })).toBe('| a | b |\n| --- | ---: |\n| x\\|y | 1.235 |\n| z | 2 |');
    expect([fmtCell(true), fmtCell(false), fmtCell(1234.56), fmtCell(1e-5), fmtCell(undefined)]).toEqual(['yes', 'NO', '1235', '1.00e-5', '']);
    const r: SuiteReport = {
      suite: 's',
      quick: true,
      env: { node: 'v', platform: 'p', cpu: 'c', cores: 2, date: 'd', loadAverage: 0 },
      params: {},
      durationMs: 1,
      checks: [{ name: 'c', ok: false, detail: 'd' }, { name: 'k', ok: false, skipped: true, detail: 'no peer' }],
      tables: [],
      plots: [{ file: 'p.svg', title: 'P', svg: '<svg/>' }],
      data: { rows: [1] },
    };
    expect(reportJson(r)).toMatchObject({ suite: 's', ok: false, plots: ['p.svg'], rows: [1] });
    expect(reportMarkdown(r)).toContain('**FAIL** c: d');
    expect(reportMarkdown(r)).toContain('SKIPPED k');
    expect(reportMarkdown(r)).toContain('![P](p.svg)');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('timing helpers', () => {
  it('counts decode steps after the first token and compares token streams', () => {
    expect(rates(100, 11, 500, 1000)).toEqual({ prefillTokensPerSecond: 200, decodeTokensPerSecond: 10 });
    expect(agreement([1, 2, 3, 4], [1, 2, 9, 4])).toEqual({ prefix: 2, same: 3, of: 4 });
    const p = randomPrompt(50, 32000, 1, 3);
    expect(p[0]).toBe(1);
    expect(p).toEqual(randomPrompt(50, 32000, 1, 3));
    expect(p.slice(1).every((t) => t >= 3 && t < 32000)).toBe(true);
  });

  it('runs every policy at a token budget, the window policy with a window of the budget', () => {
    expect(benchPolicy('full', 64)).toEqual({ policy: { kind: 'full' }, budget: { ratio: 1 } });
    expect(benchPolicy('window', 64)).toEqual({ policy: { kind: 'window', window: 64 }, budget: { budget: 64 } });
    expect(benchPolicy('snapkv', 32)).toEqual({ policy: { kind: 'snapkv' }, budget: { budget: 32 } });
  });
});
