import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const gqa: ShippedModel<'gqa'> = {
  name: 'gqa',
  description: `${TRAINED}; grouped-query attention. The default model.`,
  kvSharing: '2 KV heads, every layer',
  files: {
    'config.json': new URL('../../gqa/config.json', import.meta.url),
    'model.safetensors': new URL('../../gqa/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../gqa/tokenizer.json', import.meta.url),
  },
};
