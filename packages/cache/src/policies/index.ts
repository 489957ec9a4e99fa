// Pure eviction/compression policies (spec §0-9): scoring, selection and decode-time eviction.
// Policies never touch buffers: they return positions or slot indices and the layout compacts.
export { ascending, gqaReduce, kthSmallest, pool1d, rankDescending, topCountsPerGroup, topK, type GqaReduce, type Pooling } from './select.js';
export { checkStats, type PrefillStats } from './stats.js';
export { bytesFreed, type HeadReport, type LayerReport, type LayerSelection, type PrefillSelection } from './report.js';
export { minimumBudget, prefillStatsNeeded, resolvePolicy, type PolicyConfig, type PolicyInput, type PolicyKind } from './config.js';
export { selectPrefill, type TokenBudget } from './prefill.js';
export { windowScores, type WindowScoring } from './scoring.js';
export { fullSelect, type FullPolicy } from './full.js';
export { newest, windowEvict, windowSelect, type WindowParams, type WindowPolicy } from './window.js';
export {
  STREAMING_CLASS_RECENT,
  STREAMING_DEFAULTS,
  streamingEvict,
  streamingSelect,
  streamingSplit,
  type StreamingParams,
  type StreamingPolicy,
} from './streaming.js';
export {
  H2O_CLASS_DEFAULTS,
  H2O_DEFAULTS,
  h2oAccumulate,
  h2oEvict,
  h2oMinimumBudget,
  h2oPrefillScores,
  h2oSelect,
  h2oSplit,
  type H2OParams,
  type H2OPolicy,
} from './h2o.js';
export { meanOverHeads, TOVA_EXAMPLE_CAPACITY, tovaEvict, tovaSelect, type TovaPolicy } from './tova.js';
export { SNAPKV_DEFAULTS, snapkvSelect, type SnapKVParams, type SnapKVPolicy } from './snapkv.js';
export { PYRAMIDKV_DEFAULTS, pyramidBudgets, pyramidkvSelect, type PyramidKVParams, type PyramidKVPolicy } from './pyramidkv.js';
export { ADAKV_DEFAULTS, adakvHeadBudgets, adakvSelect, type AdaKVParams, type AdaKVPolicy } from './adakv.js';
export { DYNAMICKV_DEFAULTS, dynamickvSelect, pyFloorDiv, type DynamicKVParams, type DynamicKVPolicy } from './dynamickv.js';
export { DECODE_RECOMPRESS_DEFAULTS, recompressDue, type DecodeRecompressParams } from './decode-recompress.js';
