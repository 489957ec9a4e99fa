import { KvkitError } from '@kvkit/tensor';

/** A model name that is not one of the shipped models (the message lists them). */
export class UnknownModelError extends KvkitError {
  constructor(message: string) {
    super('UNKNOWN_MODEL', message);
  }
}
