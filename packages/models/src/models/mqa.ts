import type { ShippedModel } from '../shipped-model.js';
import { TRAINED } from './trained.js';

export const mqa: ShippedModel<'mqa'> = {
  name: 'mqa',
  description: `${TRAINED}; multi-query attention.`,
  kvSharing: '1 KV head, every layer',
  files: {
    'config.json': new URL('../../mqa/config.json', import.meta.url),
    'model.safetensors': new URL('../../mqa/model.safetensors', import.meta.url),
    'tokenizer.json': new URL('../../mqa/tokenizer.json', import.meta.url),
  },
};
