import Database from 'better-sqlite3';
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
 * connection with `synchronous = FULL`: every commit syncs the write-ahead log before it returns,
 * so a SendMessage that answered has its message on disk (kill -9 or power loss keeps it).
 * Writes are synchronous calls: a batch is one transaction and one flush.
 */
export class SqliteQueueStore implements QueueStore {
  readonly #db: Database.Database;
  readonly #stmt: Record<string, Database.Statement>;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
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

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
