import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const yoco: ShippedModel<'yoco'> = {
  name: 'yoco',
  description: `${TRAINED}; You Only Cache Once (YOCO).`,
  kvSharing: '2 KV heads; layers 0-3 sliding window of 64, layer 4 projects the one global K/V that layers 4-7 read',
  files: {
    'config.json': new URL('../../yoco/config.json', import.meta.url),
    'model.safetensors': new URL('../../yoco/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../yoco/tokenizer.json', import.meta.url),
  },
};
