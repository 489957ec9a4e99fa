import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const cla2: ShippedModel<'cla2'> = {
  name: 'cla2',
  description: `${TRAINED}; cross-layer attention (CLA), sharing factor 2.`,
  kvSharing: '2 KV heads; layers 2k+1 reuse layer 2k (kv_source 0,0,2,2,4,4,6,6)',
  files: {
    'config.json': new URL('../../cla2/config.json', import.meta.url),
    'model.safetensors': new URL('../../cla2/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../cla2/tokenizer.json', import.meta.url),
  },
};
