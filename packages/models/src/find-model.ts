import { UnknownModelError } from './errors.js';
import type { ShippedModel, ShippedModelName } from './shipped-model.js';
import { SHIPPED_MODELS } from './shipped-models.js';

/** True when `name` names a shipped model. */
export function isShippedModelName(name: string): name is ShippedModelName {
  return Object.hasOwn(SHIPPED_MODELS, name);
}

/** The shipped model called `name` (e.g. a `--model` argument); UnknownModelError for any other name. */
export function shippedModel(name: string): ShippedModel<ShippedModelName> {
  if (!isShippedModelName(name)) {
    throw new UnknownModelError(`no shipped model named ${JSON.stringify(name)}; use one of ${Object.keys(SHIPPED_MODELS).join(', ')}`);
  }
  return SHIPPED_MODELS[name];
}
