import { execFileSync } from 'node:child_process';

/**
 * Reads a file from another process. SQLite's locks are POSIX locks, which a process drops on
 * closing ANY descriptor of the file: reading the live store's files with fs from the process that
 * holds the store would silently release its locks, and another process sharing the database could
 * then take itself for the last user and delete the WAL under it. `cat` opens the file elsewhere.
 * Undefined when the file is gone (a -shm or -journal removed meanwhile).
 */
export function readOutsideProcess(file: string): Buffer | undefined {
  try {
    return execFileSync('cat', [file], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}
