// Downloads kept in the browser's Cache Storage, so a reload does not fetch the weights again.

/** The cache loadModelFrom uses unless told another name. */
export const DEFAULT_MODEL_CACHE = 'kvkit-models';

/** The part of the DOM Cache interface used here (declared locally: the package builds without the DOM lib). */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
}

interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
  delete(name: string): Promise<boolean>;
}

function cacheStorage(): CacheStorageLike | undefined {
  return (globalThis as { caches?: CacheStorageLike }).caches;
}

/**
 * The cache `option` asks for: none when it is false or there is no Cache Storage (Node, insecure pages), or
 * when opening fails (some private modes refuse): caching only saves time, it never fails a load.
 */
export async function openModelCache(option: boolean | string | undefined): Promise<CacheLike | undefined> {
  const storage = cacheStorage();
  if (!storage || option === false) return undefined;
  return storage.open(typeof option === 'string' ? option : DEFAULT_MODEL_CACHE).catch(() => undefined);
}

/** Deletes the downloads loadModelFrom kept (`name` as given to its `cache` option); false when there were none. */
export async function clearModelCache(name: string = DEFAULT_MODEL_CACHE): Promise<boolean> {
  const storage = cacheStorage();
  return storage ? storage.delete(name) : false;
}
