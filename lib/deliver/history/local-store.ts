import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PointerHistoryStore } from './store.js';
import type { HistoryBackend, HistoryStoreOptions } from './store.js';

/** Run history in a directory, same layout as in S3 (for the CLI). */
export class LocalHistoryStore extends PointerHistoryStore {
  constructor(directory: string, options: HistoryStoreOptions = {}) {
    super(directoryBackend(resolve(directory)), options);
  }
}

function directoryBackend(root: string): HistoryBackend {
  const at = (key: string) => join(root, ...key.split('/'));
  return {
    read: async (key) => {
      try {
        return await readFile(at(key), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    write: async (key, text) => {
      const path = at(key);
      await mkdir(dirname(path), { recursive: true });
      // Write then rename: a run killed mid-write leaves the previous file whole.
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, path);
    },
    locate: at,
  };
}
