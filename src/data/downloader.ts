// Fetches a file whose size and SHA-256 are known, into a cache directory. Bytes go to `<dest>.part`
// first; an interrupted transfer keeps them and the next call asks the server for the rest (HTTP
// Range); only a file whose size and SHA-256 both match is renamed to `<dest>`. A corrupted result
// is deleted, since resuming cannot repair it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { makeDirectory, removeEmptyDirectories } from '../atomic-file.ts';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { UserError } from '../errors.ts';

export interface RemoteFile {
  url: string;
  bytes: number;
  sha256: string;
}

export type DownloadProgress = (received: number, total: number) => void;

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** Appends the remote bytes from `offset` on to `part`; returns whether the server honoured the range. */
async function fetchInto(file: RemoteFile, part: string, offset: number, onProgress?: DownloadProgress): Promise<void> {
  let response: Response;
  try {
    response = await fetch(file.url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
  } catch (err) {
    throw new UserError(`cannot reach ${file.url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (response.status === 200) offset = 0; // the server ignored the range: start over
  else if (response.status !== 206) throw new UserError(`${file.url}: HTTP ${response.status} ${response.statusText}`);
  if (!response.body) throw new UserError(`${file.url}: empty response`);
  let received = offset;
  const counted = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  counted.on('data', (chunk: Buffer) => {
    received += chunk.length;
    onProgress?.(received, file.bytes);
  });
  const sink = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  try {
    await pipeline(counted, sink);
  } catch (err) {
    // pipeline rejects on the source's error while the sink's last write may still be in flight: wait
    // for the file to close, so that the size reported, and the offset a resume asks from, count it
    // (under load the write landed after a resume had started appending, doubling a 64 KiB chunk).
    if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
    throw new UserError(
      `download of ${file.url} interrupted after ${sizeOf(part)} of ${file.bytes} bytes (${(err as Error).message}); ` +
        `the partial file ${part} is kept: run the command again to resume`,
    );
  }
}

/** Makes `dest` a verified copy of `file`; returns 'cached' when it already was one. */
export async function downloadVerified(file: RemoteFile, dest: string, onProgress?: DownloadProgress): Promise<'cached' | 'downloaded'> {
  if (existsSync(dest)) {
    if (sizeOf(dest) === file.bytes && (await sha256OfFile(dest)) === file.sha256) return 'cached';
    unlinkSync(dest); // not what we wrote: fetch it again
  }
  const created = makeDirectory(dirname(dest));
  const part = `${dest}.part`;
  if (sizeOf(part) > file.bytes) unlinkSync(part);
  try {
    if (sizeOf(part) < file.bytes) await fetchInto(file, part, sizeOf(part), onProgress);
  } catch (err) {
    // Nothing received (no network, a 404): leave no empty file or folder behind; bytes received stay, to resume.
    if (existsSync(part) && sizeOf(part) === 0) unlinkSync(part);
    if (!existsSync(part)) removeEmptyDirectories(created);
    throw err;
  }
  const size = sizeOf(part);
  if (size < file.bytes) {
    throw new UserError(`download of ${file.url} ended after ${size} of ${file.bytes} bytes; the partial file ${part} is kept: run the command again to resume`);
  }
  const actual = size === file.bytes ? await sha256OfFile(part) : `(size ${size}, expected ${file.bytes})`;
  if (actual !== file.sha256) {
    unlinkSync(part);
    throw new UserError(`${file.url}: SHA-256 ${actual} does not match the expected ${file.sha256}; the corrupted download was deleted`);
  }
  renameSync(part, dest);
  return 'downloaded';
}
