import { cla2 } from './models/cla2.js';
import { gqa } from './models/gqa.js';
import { mha } from './models/mha.js';
import { mlkv2 } from './models/mlkv2.js';
import { mlkv4 } from './models/mlkv4.js';
import { mqa } from './models/mqa.js';
import { yoco } from './models/yoco.js';
import type { ShippedModel, ShippedModelName } from './shipped-model.js';

/** Every shipped model by name, in the order of the README's table. */
export const SHIPPED_MODELS: { readonly [N in ShippedModelName]: ShippedModel<N> } = Object.freeze({ mha, gqa, mqa, mlkv4, mlkv2, cla2, yoco });
