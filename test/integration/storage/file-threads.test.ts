import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { createFileThreads, FILE_THREAD_EXITED, FileThreadError, ownBytes } from '../../../src/storage/file-threads.js';
import { toStorageError } from '../../../src/storage/to-storage-error.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imgbatch-file-threads-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('file threads', () => {
  it('write a file whole, over an old one, and leave no temp file beside it', async () => {
    const threads = createFileThreads();
    const path = join(root, 'whole.bin');
    await writeFile(path, 'old');

    await threads.writeAtomic([{ path, data: new Uint8Array([1, 2, 3, 4]) }]);

    expect([...(await readFile(path))]).toEqual([1, 2, 3, 4]);
    expect(await readdir(root)).not.toContainEqual(expect.stringMatching(/^\.whole\.bin\..*\.tmp$/));
  });

  it('write exactly the bytes of a view of a larger buffer', async () => {
    const threads = createFileThreads();
    const whole = Buffer.from('headerIMAGEtrailer');
    const path = join(root, 'view.bin');

    await threads.writeAtomic([{ path, data: whole.subarray(6, 11) }]);

    expect(await readFile(path, 'utf8')).toBe('IMAGE');
  });

  it('read a file as text, and a missing one as null', async () => {
    const threads = createFileThreads();
    const path = join(root, 'record.json');
    await threads.writeAtomic([{ path, data: '{"key":"b/x-0"}' }]);

    expect(await threads.readText(path)).toBe('{"key":"b/x-0"}');
    expect(await threads.readText(join(root, 'no-such-record.json'))).toBeNull();
    expect(await threads.readText(join(root, 'no-such-record.json'), { statFirst: true })).toBeNull();
  });

  it('answer a read of a missing file without a thread, and read one that is there on a thread', async () => {
    // No thread can start from this body: a call that reaches one fails.
    const threads = createFileThreads({ script: new URL('../../fixtures/no-such-file-thread.mjs', import.meta.url) });
    const there = join(root, 'there.json');
    await writeFile(there, '{}');

    expect(await threads.readText(join(root, 'not-there.json'), { statFirst: true })).toBeNull();
    await expect(threads.readText(there, { statFirst: true })).rejects.toMatchObject({ code: 'MODULE_NOT_FOUND' });
  });

  it('read a missing file on a thread too, unless told to stat first (a network filesystem)', async () => {
    const threads = createFileThreads({ script: new URL('../../fixtures/no-such-file-thread.mjs', import.meta.url) });

    await expect(threads.readText(join(root, 'not-there.json'))).rejects.toMatchObject({ code: 'MODULE_NOT_FOUND' });
  });

  it('read on a thread, missing files too, for a while after a stat on the main thread was slow', async () => {
    // Every stat counts as slow: the first read answers from its stat, the next goes to a thread.
    const threads = createFileThreads({ script: new URL('../../fixtures/no-such-file-thread.mjs', import.meta.url), slowStatMs: -1 });

    expect(await threads.readText(join(root, 'not-there-1.json'), { statFirst: true })).toBeNull();
    await expect(threads.readText(join(root, 'not-there-2.json'), { statFirst: true })).rejects.toMatchObject({ code: 'MODULE_NOT_FOUND' });
  });

  it('read a missing file in a path through a file as Node fails (ENOTDIR), not as missing', async () => {
    const threads = createFileThreads();
    const file = join(root, 'a-file');
    await writeFile(file, 'x');

    await expect(threads.readText(join(file, 'record.json'), { statFirst: true })).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('put no file of a write in place when one fails before any is renamed, and leave no temp files', async () => {
    const threads = createFileThreads();
    const folder = join(root, 'all-or-none');
    await mkdir(folder);
    const image = join(folder, 'x-0.png');

    const failure = threads.writeAtomic([
      { path: image, data: 'image' },
      { path: join(folder, 'no-such-folder', 'x-0.json'), data: 'record' },
    ]);

    await expect(failure).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open', target: join(folder, 'no-such-folder', 'x-0.json') });
    expect(await readdir(folder)).toEqual([]);
  });

  it('fail as Node fails, with the code, and remove the temp file of a write that could not finish', async () => {
    const threads = createFileThreads();
    const missingFolder = join(root, 'gone', 'x.png');
    const intoAFolder = join(root, 'a-folder');
    await mkdir(intoAFolder);

    await expect(threads.writeAtomic([{ path: missingFolder, data: 'x' }])).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    // A rename onto a folder fails after the temp file was written: the temp file goes.
    await expect(threads.writeAtomic([{ path: intoAFolder, data: 'x' }])).rejects.toMatchObject({ code: 'EISDIR', syscall: 'rename' });
    expect((await readdir(root)).filter((name) => name.startsWith('.a-folder.'))).toEqual([]);
  });

  it('write files in order in one message, and stop at the first that fails, naming it', async () => {
    const threads = createFileThreads();
    const first = join(root, 'first.png');
    const blocked = join(root, 'blocked');
    const last = join(root, 'last.json');
    await mkdir(blocked);

    const failure = threads.writeAtomic([
      { path: first, data: 'image' },
      { path: blocked, data: 'cannot go over a folder' },
      { path: last, data: 'record' },
    ]);

    await expect(failure).rejects.toBeInstanceOf(FileThreadError);
    await expect(failure).rejects.toMatchObject({ code: 'EISDIR', target: blocked });
    expect(await readFile(first, 'utf8')).toBe('image');
    await expect(readFile(last)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('send bytes as a copy of their own to hand over (a view: only its bytes), and a text as it is', () => {
    const whole = Buffer.alloc(8_192, 1);
    const view = whole.subarray(100, 110);
    const exact = new Uint8Array([1, 2, 3]);

    const sentView = ownBytes(view);
    const sentExact = ownBytes(exact);

    expect(sentView.data).toBeInstanceOf(Uint8Array);
    expect(sentView.handedOver?.byteLength).toBe(10);
    expect([...(sentView.data as Uint8Array)]).toEqual([...view]);
    expect(sentExact.data).not.toBe(exact);
    expect(sentExact.handedOver).not.toBe(exact.buffer);
    expect([...(sentExact.data as Uint8Array)]).toEqual([1, 2, 3]);
    expect(ownBytes('text')).toEqual({ data: 'text' });
  });

  it("leave the caller's bytes whole after a write, for a retry or the spool", async () => {
    const threads = createFileThreads();
    const bytes = Buffer.alloc(100_000, 7);
    const path = join(root, 'kept-whole.bin');

    await threads.writeAtomic([{ path, data: bytes }]);

    expect(bytes.byteLength).toBe(100_000);
    expect(bytes.every((byte) => byte === 7)).toBe(true);
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });

  it('fail the calls of a thread that dies under them as transient, and start another for the next call', async () => {
    const threads = createFileThreads({ script: new URL('../../fixtures/exiting-file-thread.mjs', import.meta.url) });

    const record = join(root, 'there-for-a-dying-thread.json');
    await writeFile(record, '{}');

    const first = await threads.writeAtomic([{ path: join(root, 'never.png'), data: 'x' }]).catch((thrown: unknown) => thrown);
    const second = await threads.readText(record).catch((thrown: unknown) => thrown);

    expect(first).toMatchObject({ code: FILE_THREAD_EXITED });
    expect(second).toMatchObject({ code: FILE_THREAD_EXITED });
    const stored = toStorageError(first, 'write image never.png');
    expect(stored).toBeInstanceOf(StorageError);
    expect(stored.isTransient).toBe(true);
  });

  it('fail the calls of a thread that cannot start as not transient: its body is missing', async () => {
    const threads = createFileThreads({ script: new URL('../../fixtures/no-such-file-thread.mjs', import.meta.url) });
    const record = join(root, 'there-for-a-missing-thread.json');
    await writeFile(record, '{}');

    const failure = await threads.readText(record).catch((thrown: unknown) => thrown);

    expect(failure).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    expect(toStorageError(failure, 'read record never.json').isTransient).toBe(false);
  });

  it('carry many writes at once over a few threads, each landing whole', async () => {
    const threads = createFileThreads({ maxThreads: 2 });
    const names = Array.from({ length: 60 }, (_, index) => `many-${index}.txt`);

    await Promise.all(names.map((name) => threads.writeAtomic([{ path: join(root, name), data: `content of ${name}` }])));

    const read = await Promise.all(names.map((name) => readFile(join(root, name), 'utf8')));
    expect(read).toEqual(names.map((name) => `content of ${name}`));
  });

  it('keep the process alive while a write is out, and let it end once all are done', async () => {
    const path = join(root, 'from-child.txt');
    // The child does nothing but the write: if the thread did not hold the process while the
    // write is out, it would end before the write lands; if it held it after, it would never end.
    const script = [
      "import { createFileThreads } from './src/storage/file-threads.ts';",
      'const threads = createFileThreads();',
      // The second write goes to a thread that is up and idle: nothing but that write holds the process.
      `const file = (data) => [{ path: ${JSON.stringify(path)}, data }];`,
      "void threads.writeAtomic(file('first')).then(() => threads.writeAtomic(file('written by a child'))).then(() => console.log('written'));",
    ].join('\n');

    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 30_000 });

    expect(stdout.trim()).toBe('written');
    expect(await readFile(path, 'utf8')).toBe('written by a child');
  });
});
