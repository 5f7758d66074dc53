import { createHash, type Hash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { HistoryConflictError, isStreamedBody, PointerHistoryStore } from './store.js';
import type { HistoryBackend, HistoryStoreOptions, StreamedBody } from './store.js';

/** Run history in a directory, same layout as in S3 (for the CLI). */
export class LocalHistoryStore extends PointerHistoryStore {
  constructor(directory: string, options: HistoryStoreOptions = {}) {
    super(directoryHistoryBackend(directory), options);
  }
}

/** A file's tag: the hash of its content, as an ETag is of an object's. */
export function contentTag(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A body's chunks, each hashed as it is written: the file's tag without holding its content. */
function* hashed(body: StreamedBody, hash: Hash): Generator<Uint8Array> {
  for (const chunk of body.chunks()) {
    hash.update(chunk);
    yield chunk;
  }
}

async function readIfThere(path: string): Promise<string | undefined>;
async function readIfThere(path: string, encoding: null): Promise<Buffer | undefined>;
async function readIfThere(path: string, encoding: 'utf8' | null = 'utf8'): Promise<string | Buffer | undefined> {
  try {
    return await readFile(path, encoding === null ? {} : { encoding });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A history directory's files, as keys relative to it (also where the CLI's run lease lives). */
export function directoryHistoryBackend(directory: string): HistoryBackend {
  const root = resolve(directory);
  const at = (key: string) => join(root, ...key.split('/'));
  return {
    read: async (key) => {
      const text = await readIfThere(at(key));
      return text === undefined ? undefined : { text, tag: contentTag(text) };
    },
    readBytes: (key) => readIfThere(at(key), null),
    write: async (key, text, condition) => {
      const path = at(key);
      if (condition) {
        // Checked, then written: one machine's CLI runs take the run lease first, so this only
        // guards against a run that outlived its lease.
        const current = await readIfThere(path);
        if ((condition.ifNoneMatch && current !== undefined) || (condition.ifMatch && (current === undefined || contentTag(current) !== condition.ifMatch))) {
          throw new HistoryConflictError(`${path} changed while this run wrote it`);
        }
      }
      await mkdir(dirname(path), { recursive: true });
      // Write then rename: a run killed mid-write leaves the previous file whole.
      const temporary = `${path}.${process.pid}.tmp`;
      if (isStreamedBody(text)) {
        const hash = createHash('sha256');
        await writeFile(temporary, hashed(text, hash));
        await rename(temporary, path);
        return hash.digest('hex');
      }
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, path);
      return contentTag(text);
    },
    list: async (prefix) => {
      try {
        const entries = await readdir(at(prefix), { recursive: true, withFileTypes: true });
        return entries.filter((e) => e.isFile() && !e.name.endsWith('.tmp')).map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    locate: at,
  };
}
