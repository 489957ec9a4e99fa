import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';

const URL_SCHEME = /^(https?|file|data|blob):/i;

/** A path flag resolved against the directory the user ran kvkit from; URLs pass through. */
export function userPath(value: string): string {
  return URL_SCHEME.test(value) ? value : resolve(process.cwd(), value);
}

/** `--<flag>` names a readable file (checked before any work starts). */
export function readableFile(value: string, flag: string): string {
  const path = userPath(value);
  if (URL_SCHEME.test(path)) throw new UsageError(`--${flag} must be a file on disk, got the URL ${value}`);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new UsageError(`--${flag} ${value}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!isFile) throw new UsageError(`--${flag} ${value} is not a file`);
  return path;
}

/** `--<flag>` names a folder that exists or can be made, and can be written: checked before a long run. */
export function writableDir(value: string, flag: string): string {
  const path = userPath(value);
  try {
    mkdirSync(path, { recursive: true });
    accessSync(path, constants.W_OK);
  } catch (e) {
    throw new UsageError(`--${flag} ${value} cannot be written: ${(e as Error).message}`);
  }
  return path;
}

/** `--<flag>` names a file that can be written: its folder exists and is writable, and it is not a folder (checked before a long run). */
export function writableFile(value: string, flag: string): string {
  const path = userPath(value);
  if (URL_SCHEME.test(path)) throw new UsageError(`--${flag} must be a file on disk, got the URL ${value}`);
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--${flag} ${value} is a folder: name a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const dir = dirname(path);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`--${flag} ${value} cannot be written: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `no folder ${dir}` : (e as Error).message}`);
  }
  return path;
}
