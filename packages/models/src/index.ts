export { SHIPPED_MODELS } from './shipped-models.js';
export { defaultModel } from './default-model.js';
export type { ShippedModel, ShippedModelFiles, ShippedModelName } from './shipped-model.js';
export { isShippedModelName, shippedModel } from './find-model.js';
export { UnknownModelError } from './errors.js';
