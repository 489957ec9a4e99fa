import type { KvDtype } from '@kvkit/tensor';

/**
 * The KV storage formats the planner considers, most exact first, with their published quality cost
 * (int8: about +0.005 perplexity on a 7B model on WikiText; KIVI-2 loses noticeably on small models).
 * bf16 costs what f16 costs and is left out so that equal-memory choices are not listed twice.
 */
export const PLANNED_KV_DTYPES: readonly { readonly kvDtype: KvDtype; readonly note: string }[] = [
  { kvDtype: 'f32', note: 'exact' },
  { kvDtype: 'f16', note: 'practically lossless' },
  { kvDtype: 'int8', note: '~+0.005 PPL (7B, WikiText)' },
  { kvDtype: 'kivi4', note: 'small loss (KIVI-4)' },
  { kvDtype: 'kivi2', note: 'noticeable loss on small models (KIVI-2)' },
];
