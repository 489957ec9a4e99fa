// The policy's part of a snapshot: its budget, step counter, reports (JSON) and its scores (f64, exact).
import type { CompressionReport, PolicyRunnerState } from '../policy-runner.js';
import { ByteReader, ByteWriter } from './byte-io.js';
import { SnapshotMalformedError } from './snapshot-errors.js';

export interface PolicySnapshotHeader {
  readonly budget: number | null;
  readonly decoded: number;
  readonly reports: readonly CompressionReport[];
  /** Per source layer with scores: the length of each row (H2O: one per KV head; TOVA: one). */
  readonly scores: readonly { readonly layer: number; readonly rows: readonly number[] }[];
  /** Source layers with recompression sums, each `[nHeads, capacitySlots]` f64. */
  readonly recent: readonly { readonly layer: number; readonly length: number }[];
  readonly bytes: number;
}

export function encodePolicyState(state: PolicyRunnerState): { header: PolicySnapshotHeader; payload: Uint8Array } {
  const w = new ByteWriter();
  const scores = [...state.scores].map(([layer, rows]) => {
    for (const r of rows) w.f64s(r);
    return { layer, rows: rows.map((r) => r.length) };
  });
  const recent = [...state.recent].map(([layer, acc]) => {
    w.f64s(acc);
    return { layer, length: acc.length };
  });
  const payload = w.finish();
  return { header: { budget: state.budget ?? null, decoded: state.decoded, reports: state.reports, scores, recent, bytes: payload.length }, payload };
}

export function decodePolicyState(h: PolicySnapshotHeader, payload: Uint8Array): PolicyRunnerState {
  const bad = (m: string) => new SnapshotMalformedError(`snapshot policy state: ${m}`);
  const int = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!(h.budget === null || int(h.budget)) || !int(h.decoded) || !Array.isArray(h.reports) || !Array.isArray(h.scores) || !Array.isArray(h.recent)) throw bad('bad header fields');
  if (h.bytes !== payload.length) throw bad(`${payload.length} bytes, header says ${h.bytes}`);
  const r = new ByteReader(payload);
  const scores = new Map<number, Float64Array[]>();
  for (const s of h.scores) {
    if (!(int(s?.layer) && Array.isArray(s.rows) && s.rows.every(int))) throw bad('bad score rows');
    scores.set(s.layer, s.rows.map((n: number) => r.f64s(n, 'policy scores')));
  }
  const recent = new Map<number, Float64Array>();
  for (const s of h.recent) {
    if (!(int(s?.layer) && int(s.length))) throw bad('bad recompression sums');
    recent.set(s.layer, r.f64s(s.length, 'recompression sums'));
  }
  if (r.remaining) throw bad(`${r.remaining} bytes left over`);
  return { budget: h.budget ?? undefined, decoded: h.decoded, reports: h.reports, scores, recent };
}
