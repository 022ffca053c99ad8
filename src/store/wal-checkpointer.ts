import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints an SQLite write-ahead log on a worker thread, through a connection of its own.
 *
 * Why: SQLite's automatic checkpoint runs inside the commit that crosses `wal_autocheckpoint`
 * pages, on the committing thread, and ends with an fsync of the database file. For the async
 * queue that thread is the server's event loop: measured on Event invokes at c=32, the loop sat in
 * those fsyncs often enough that enqueues ran ~30 % faster with checkpoints put off. A PASSIVE
 * checkpoint from another connection copies the same pages without blocking writers, and the next
 * write restarts the log once all of it is copied — SQLite's own design for it ("checkpoints in a
 * separate thread", WAL docs).
 *
 * The worker starts on the first request (a short-lived store never pays for it). Requests while one
 * runs collapse into one more. If the worker cannot run (no threads, the module fails to load), it
 * says so through `onFailure`, and the caller turns automatic checkpoints back on.
 */
export class WalCheckpointer {
  readonly #file: string;
  readonly #onFailure: (err: Error) => void;
  #worker: Worker | undefined;
  #running = false;
  #again = false;
  #done = false;

  constructor(file: string, onFailure: (err: Error) => void) {
    this.#file = file;
    this.#onFailure = onFailure;
  }

  /** Asks for a checkpoint soon; cheap to call often. */
  request(): void {
    if (this.#done) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const worker = this.#worker ?? this.#start();
    if (worker === undefined) return;
    this.#running = true;
    this.#again = false;
    worker.postMessage('checkpoint');
  }

  /** Lets the worker close its connection and end (SQLite then checkpoints what is left, if it is the last). */
  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#worker?.postMessage('close');
  }

  #start(): Worker | undefined {
    try {
      const module = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file: this.#file } });
      worker.unref();
      worker.on('message', () => {
        this.#running = false;
        if (this.#again) this.request();
      });
      worker.on('error', (err) => this.#fail(err));
      this.#worker = worker;
      return worker;
    } catch (err) {
      this.#fail(err as Error);
      return undefined;
    }
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#running = false;
    void this.#worker?.terminate();
    this.#onFailure(err);
  }
}

/** The worker: one connection, a PASSIVE checkpoint per message (busy: skipped, the next one catches up). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let r;
  try {
    r = db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch (e) {
    r = { error: String(e) };
  }
  parentPort.postMessage(r);
});
`;
