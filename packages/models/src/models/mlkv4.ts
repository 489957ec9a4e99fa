import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const mlkv4: ShippedModel<'mlkv4'> = {
  name: 'mlkv4',
  description: `${TRAINED}; multi-layer KV sharing (MLKV), 4 K/V layers.`,
  kvSharing: '1 KV head; layers 0/2/4/6 own K/V (kv_source 0,0,2,2,4,4,6,6)',
  files: {
    'config.json': new URL('../../mlkv4/config.json', import.meta.url),
    'model.safetensors': new URL('../../mlkv4/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../mlkv4/tokenizer.json', import.meta.url),
  },
};
