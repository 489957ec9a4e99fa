import { InvalidArgumentError } from '@kvkit/tensor';
import type { AttentionShape } from './sharing-schemes.js';

/** What the planner needs of a model: its attention shape and its cache map as trained (a `ModelConfig` fits). */
export interface PlannerModel extends AttentionShape {
  readonly headDim: number;
  readonly kvSource: readonly number[];
  readonly slidingWindow?: readonly (number | null)[];
  /** The context the model was trained for: the default context to plan for. */
  readonly contextLength?: number;
}

export function checkTokens(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1, got ${value}`);
  return value;
}

export function checkBytes(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`maxBytes must be a number >= 0, got ${value}`);
  return value;
}
