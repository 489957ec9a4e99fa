import { KvkitError } from '@kvkit/tensor';

/** A command line that does not follow a command's contract: exit code 2, nothing printed on stdout. */
export class UsageError extends KvkitError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** An optional package a flag needs is not installed; the message says what to `npm i`. */
export class PeerMissingError extends KvkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PEER_MISSING', message, options);
  }
}
