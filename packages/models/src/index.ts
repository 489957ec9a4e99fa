export { SHIPPED_MODELS, defaultModel } from './shipped-models.js';
export type { ShippedModel, ShippedModelFiles, ShippedModelName } from './shipped-models.js';
export { isShippedModelName, shippedModel } from './shipped-model.js';
export { UnknownModelError } from './errors.js';
