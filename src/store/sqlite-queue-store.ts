import Database from 'better-sqlite3';
import { closeSync, fdatasync, openSync } from 'node:fs';
import type { QueueStore, StoredMessage, StoredMessageBody, StoredQueue } from '../ports/queue-store.js';

interface MessageRow {
  seq: number;
  queue: string;
  message: string;
  visible_at: number;
  receive_count: number;
  first_receive_at: number;
  receipt: string;
}

/**
 * QueueStore on the metadata store's SQLite file (tables of migration 40) through its own
 * connection. Commits are synchronous calls that write the write-ahead log without syncing it
 * (`synchronous = NORMAL`): once a call returns, the write survives the process being killed
 * (kill -9: the log is in the kernel's page cache). `durable()` then fdatasyncs the log on libuv's
 * thread pool — what `synchronous = FULL` does in every commit, without stopping the event loop
 * and with one flush for every write committed meanwhile — so SendMessage answers only once its
 * message would also survive a power cut. (Outside WAL mode every commit syncs itself.)
 */
export class SqliteQueueStore implements QueueStore {
  readonly #db: Database.Database;
  readonly #stmt: Record<string, Database.Statement>;
  readonly #walPath: string | undefined;
  #walFd: number | undefined;
  /** The flush running now, and the one that will start after it (shared by every caller meanwhile). */
  #flushing: Promise<void> | undefined;
  #nextFlush: Promise<void> | undefined;

  constructor(file: string) {
    this.#db = new Database(file);
    const wal = String(this.#db.pragma('journal_mode = WAL', { simple: true })).toLowerCase() === 'wal';
    this.#db.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
    this.#walPath = wal ? `${file}-wal` : undefined;
    this.#db.pragma('busy_timeout = 5000');
    const table = this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqs_messages'").get();
    if (!table) {
      this.#db.close();
      throw new Error(`${file} has no sqs_messages table: open the metadata store (which runs the migrations) first`);
    }
    this.#stmt = {
      queues: this.#db.prepare('SELECT record FROM sqs_queues'),
      messages: this.#db.prepare('SELECT * FROM sqs_messages ORDER BY seq'),
      putQueue: this.#db.prepare('INSERT INTO sqs_queues (name, record) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET record = excluded.record'),
      delQueue: this.#db.prepare('DELETE FROM sqs_queues WHERE name = ?'),
      purge: this.#db.prepare('DELETE FROM sqs_messages WHERE queue = ?'),
      insert: this.#db.prepare('INSERT INTO sqs_messages (queue, message, visible_at, receive_count, first_receive_at, receipt) VALUES (?, ?, ?, ?, ?, ?)'),
      update: this.#db.prepare('UPDATE sqs_messages SET visible_at = ?, receive_count = ?, first_receive_at = ?, receipt = ? WHERE seq = ?'),
      del: this.#db.prepare('DELETE FROM sqs_messages WHERE seq = ?'),
      move: this.#db.prepare("UPDATE sqs_messages SET queue = ?, message = ?, visible_at = ?, receive_count = 0, first_receive_at = 0, receipt = '' WHERE seq = ?"),
    };
  }

  loadQueues(): StoredQueue[] {
    return (this.#stmt['queues']!.all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as StoredQueue);
  }

  loadMessages(): StoredMessage[] {
    return (this.#stmt['messages']!.all() as MessageRow[]).map((r) => ({
      seq: r.seq,
      queue: r.queue,
      message: JSON.parse(r.message) as StoredMessageBody,
      visibleAt: r.visible_at,
      receiveCount: r.receive_count,
      firstReceiveAt: r.first_receive_at,
      receipt: r.receipt,
    }));
  }

  putQueue(q: StoredQueue): void {
    this.#stmt['putQueue']!.run(q.name, JSON.stringify(q));
  }

  deleteQueue(name: string): void {
    this.#db.transaction(() => {
      this.#stmt['purge']!.run(name);
      this.#stmt['delQueue']!.run(name);
    })();
  }

  insertMessages(msgs: Array<Omit<StoredMessage, 'seq'>>): number[] {
    return this.#db.transaction(() => msgs.map((m) => Number(this.#stmt['insert']!.run(
      m.queue, JSON.stringify(m.message), m.visibleAt, m.receiveCount, m.firstReceiveAt, m.receipt,
    ).lastInsertRowid)))();
  }

  updateMessages(updates: Array<Pick<StoredMessage, 'seq' | 'visibleAt' | 'receiveCount' | 'firstReceiveAt' | 'receipt'>>): void {
    if (updates.length === 0) return;
    this.#db.transaction(() => {
      for (const u of updates) this.#stmt['update']!.run(u.visibleAt, u.receiveCount, u.firstReceiveAt, u.receipt, u.seq);
    })();
  }

  deleteMessages(seqs: number[]): void {
    if (seqs.length === 0) return;
    this.#db.transaction(() => {
      for (const s of seqs) this.#stmt['del']!.run(s);
    })();
  }

  moveMessage(seq: number, toQueue: string, message: StoredMessageBody, visibleAt: number): void {
    this.#stmt['move']!.run(toQueue, JSON.stringify(message), visibleAt, seq);
  }

  purge(queue: string): void {
    this.#stmt['purge']!.run(queue);
  }

  durable(): Promise<void> {
    if (this.#walPath === undefined) return Promise.resolve();
    if (!this.#flushing) return (this.#flushing = this.#flush());
    // A flush is running: writes committed after it started need the next one.
    this.#nextFlush ??= this.#flushing.then(() => {
      this.#nextFlush = undefined;
      return (this.#flushing = this.#flush());
    });
    return this.#nextFlush;
  }

  #flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let fd: number;
      try {
        fd = this.#walFd ??= openSync(this.#walPath!, 'r');
      } catch (err) {
        this.#flushing = undefined;
        reject(err as Error);
        return;
      }
      fdatasync(fd, (err) => {
        this.#flushing = undefined;
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
  }
}
