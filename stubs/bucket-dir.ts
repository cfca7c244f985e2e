/** Temporary bucket directories for tests: `{ key: contents }` written as files under a fresh root. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bucketFilePath, checkKey } from './bucket.ts';

export type BucketFiles = Readonly<Record<string, string | Uint8Array>>;

export interface BucketDir {
  /** The directory to pass as `{ kind: 'bucket', root }`. */
  readonly root: string;
  /** The file that holds `key`. */
  filePath(key: string): string;
  /** Adds or replaces an object. */
  write(key: string, contents: string | Uint8Array): Promise<void>;
  /** Removes an object (no error when it is absent). */
  remove(key: string): Promise<void>;
  /** Deletes the directory and everything in it. Idempotent. */
  cleanup(): Promise<void>;
}

function fileFor(root: string, key: string): string {
  const check = checkKey(key);
  if (!check.ok) throw new Error(`makeBucketDir: bad key ${JSON.stringify(key)}: ${check.reason}`);
  if (key === '' || key.endsWith('/') || key.split('/').some((s) => s === '')) {
    throw new Error(`makeBucketDir: bad key ${JSON.stringify(key)}: empty segment`);
  }
  const file = bucketFilePath(root, key);
  if (file === undefined) throw new Error(`makeBucketDir: key ${JSON.stringify(key)} is outside the bucket`);
  return file;
}

/** Creates a temporary directory holding `files` (keys like `www.gov.uk/browse/benefits.html`). */
export async function makeBucketDir(files: BucketFiles = {}): Promise<BucketDir> {
  const root = await mkdtemp(join(tmpdir(), 'govuk-stub-bucket-'));
  let cleaned = false;
  const dir: BucketDir = {
    root,
    filePath: (key) => fileFor(root, key),
    async write(key, contents) {
      const file = fileFor(root, key);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, contents);
    },
    async remove(key) {
      await rm(fileFor(root, key), { force: true });
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    for (const [key, contents] of Object.entries(files)) await dir.write(key, contents);
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
  return dir;
}
