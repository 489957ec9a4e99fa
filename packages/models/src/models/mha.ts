import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const mha: ShippedModel<'mha'> = {
  name: 'mha',
  description: `${TRAINED}; multi-head attention.`,
  kvSharing: '4 KV heads, every layer',
  files: {
    'config.json': new URL('../../mha/config.json', import.meta.url),
    'model.safetensors': new URL('../../mha/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../mha/tokenizer.json', import.meta.url),
  },
};
