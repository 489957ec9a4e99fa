import { PeerMissingError } from './errors.js';

/**
 * Import an optional peer package, or say what to install: `purpose` names what needs it
 * (`--backend webgpu`), `install` the packages to `npm i`.
 */
export async function importPeer<T>(specifier: string, purpose: string, install: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw new PeerMissingError(`${purpose} needs the optional package${install.includes(' ') ? 's' : ''} ${install}, which ${install.includes(' ') ? 'are' : 'is'} not installed: npm i ${install}`, { cause: e });
    }
    throw e;
  }
}
