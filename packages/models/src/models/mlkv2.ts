import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const mlkv2: ShippedModel<'mlkv2'> = {
  name: 'mlkv2',
  description: `${TRAINED}; multi-layer KV sharing (MLKV), 2 K/V layers.`,
  kvSharing: '1 KV head; layers 0/4 own K/V (kv_source 0,0,0,0,4,4,4,4)',
  files: {
    'config.json': new URL('../../mlkv2/config.json', import.meta.url),
    'model.safetensors': new URL('../../mlkv2/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../mlkv2/tokenizer.json', import.meta.url),
  },
};
