// Records every typed-array, ArrayBuffer and Array allocation made while a reader runs, by putting
// construct-trapping proxies in place of the global constructors. Code that writes `new Uint8Array(n)`,
// `Float32Array.from(...)` or `new Array(n)` goes through the global binding, so the proxy sees the size
// it asks for, also when the allocation then fails. (`bytes.slice()` and array literals are not seen: their
// size is bounded by data already in memory.)

const TYPED = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
] as const;

export interface AllocationRecord {
  /** Largest byte size asked for by one ArrayBuffer or typed-array construction. */
  bytes: number;
  /** Largest length asked for by one Array construction (`new Array(n)`, `Array.from({ length: n })`). */
  arrayLength: number;
}

function lengthOf(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (x !== null && typeof x === 'object') {
    if (x instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer)) return 0; // a view, no allocation
    const n = (x as { length?: unknown }).length;
    if (typeof n === 'number') return n;
    const size = (x as { size?: unknown }).size;
    if (typeof size === 'number') return size;
  }
  return 0;
}

let active: AllocationRecord | undefined;
let installed = false;
const originals = new Map<string, unknown>();

function install(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  const wrap = (name: string, measure: (args: unknown[]) => void): void => {
    const orig = g[name] as new (...args: unknown[]) => object;
    originals.set(name, orig);
    g[name] = new Proxy(orig, {
      construct(target, args, newTarget) {
        if (active) measure(args);
        return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget);
      },
      apply(target, self, args) {
        // Array(n) without `new` allocates too.
        if (active && name === 'Array') measure(args);
        return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, self, args);
      },
    });
  };
  wrap('ArrayBuffer', (args) => {
    if (active) active.bytes = Math.max(active.bytes, Number(args[0] ?? 0));
  });
  for (const name of TYPED) {
    const per = (g[name] as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    wrap(name, (args) => {
      if (active && !(args[0] instanceof (originals.get('ArrayBuffer') as typeof ArrayBuffer))) {
        active.bytes = Math.max(active.bytes, lengthOf(args[0]) * per);
      }
    });
  }
  wrap('Array', (args) => {
    if (active && args.length === 1 && typeof args[0] === 'number') active.arrayLength = Math.max(active.arrayLength, args[0]);
  });
}

function uninstall(): void {
  if (!installed) return;
  const g = globalThis as unknown as Record<string, unknown>;
  for (const [name, orig] of originals) g[name] = orig;
  originals.clear();
  installed = false;
}

/**
 * Runs `fn` with allocations recorded into `record` (its sync work and, for an async `fn`, everything until it
 * settles; campaigns run one input at a time). The proxies are in place only meanwhile, so that code outside
 * sees the real constructors (`x.constructor === Uint8Array` stays true there).
 */
export async function measureAllocations<T>(fn: () => T | Promise<T>, record: AllocationRecord): Promise<T> {
  install();
  active = record;
  try {
    return await fn();
  } finally {
    active = undefined;
    uninstall();
  }
}

/** `measureAllocations` for a synchronous `fn` (no await: usable inside sync helpers). */
export function measureAllocationsSync<T>(fn: () => T, record: AllocationRecord): T {
  install();
  active = record;
  try {
    return fn();
  } finally {
    active = undefined;
    uninstall();
  }
}
