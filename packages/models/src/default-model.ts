import { gqa } from './models/gqa.js';
import type { ShippedModel } from './shipped-model.js';

/** The model used when none is named: `gqa`. */
export const defaultModel: ShippedModel<'gqa'> = gqa;
