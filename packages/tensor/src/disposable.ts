// Explicit resource management (`using`, Symbol.dispose) in the shipped types, for consumers whose
// TypeScript `lib` lacks `esnext.disposable`: the same declarations @types/node makes, which merge with
// the standard library's where it has them. Node 20 and current browsers define Symbol.dispose at run time.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
  interface Disposable {
    [Symbol.dispose](): void;
  }
}

/** An object whose resources `[Symbol.dispose]()` (or a `using` declaration) frees. */
export type DisposableResource = Disposable;
