/** Schema migrations, applied in id order, each exactly once. Append; never edit a shipped one. */
export const MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'documents',
    sql: `CREATE TABLE documents (
      collection TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (collection, key)
    ) WITHOUT ROWID;`,
  },
  {
    id: 2,
    name: 'code objects',
    sql: `CREATE TABLE code_objects (
      sha256 TEXT PRIMARY KEY,
      size INTEGER NOT NULL,
      unzipped_size INTEGER NOT NULL,
      wrapped_key BLOB NOT NULL,
      created_at TEXT NOT NULL
    );`,
  },
  {
    id: 3,
    name: 'audit trail',
    sql: `CREATE TABLE audit_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      time TEXT NOT NULL,
      request_id TEXT NOT NULL,
      principal TEXT NOT NULL,
      operation TEXT NOT NULL,
      resource TEXT,
      status INTEGER NOT NULL,
      error_type TEXT,
      detail TEXT
    );`,
  },
  {
    id: 4,
    name: 'async event queue',
    // Lease = visible_at moved into the future + a fresh lease_token; an expired lease is simply
    // visible again, which is how a crashed server re-delivers.
    sql: `CREATE TABLE async_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      request_id TEXT NOT NULL UNIQUE,
      function_name TEXT NOT NULL,
      qualifier TEXT NOT NULL,
      payload BLOB NOT NULL,
      client_context TEXT,
      trace_id TEXT,
      origin TEXT NOT NULL,
      enqueued_at INTEGER NOT NULL,
      visible_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      system_retries INTEGER NOT NULL DEFAULT 0,
      deliveries INTEGER NOT NULL DEFAULT 0,
      lease_token TEXT,
      last_outcome TEXT
    );
    CREATE INDEX async_events_visible ON async_events (visible_at, seq);`,
  },
  {
    id: 5,
    name: 'code object upload time',
    // The code collector removes unreferenced objects only after a grace period counted from the
    // last upload of the same bytes; rows from before this migration count as long ago.
    sql: `ALTER TABLE code_objects ADD COLUMN last_put_at INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    id: 6,
    name: 'audit service',
    // The front door serves IAM and STS beside Lambda: each audit event names its service.
    sql: `ALTER TABLE audit_events ADD COLUMN service TEXT;`,
  },
  {
    id: 12,
    name: 'audit hash chain',
    // CloudTrail-format records chained by hash, with signed digests (src/observe/audit-chain.ts).
    // Rows from before keep their columns; the trail seals them into the chain at the next start.
    // (Id 12, not 7: leaves room for the other observability migrations landing beside it.)
    sql: `ALTER TABLE audit_events ADD COLUMN kind TEXT NOT NULL DEFAULT 'event';
    ALTER TABLE audit_events ADD COLUMN event_id TEXT;
    ALTER TABLE audit_events ADD COLUMN event_source TEXT;
    ALTER TABLE audit_events ADD COLUMN read_only INTEGER;
    ALTER TABLE audit_events ADD COLUMN username TEXT;
    ALTER TABLE audit_events ADD COLUMN access_key_id TEXT;
    ALTER TABLE audit_events ADD COLUMN resources TEXT;
    ALTER TABLE audit_events ADD COLUMN record TEXT;
    ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit_events ADD COLUMN hash TEXT;
    ALTER TABLE audit_events ADD COLUMN signature TEXT;
    CREATE INDEX audit_events_time ON audit_events (time);
    CREATE INDEX audit_events_operation ON audit_events (operation);`,
  },
  {
    id: 30,
    name: 'schedules',
    // EventBridge Scheduler schedules and groups, EventBridge rules (src/schedules) as JSON
    // documents, and the last tick claimed per schedule (each tick fires once across restarts).
    sql: `CREATE TABLE schedule_documents (
      kind TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    CREATE TABLE schedule_ticks (
      job TEXT PRIMARY KEY,
      last_tick INTEGER NOT NULL
    ) WITHOUT ROWID;`,
  },
  {
    id: 40,
    name: 'sqs queues',
    // The SQS-compatible queues (src/queues): one row per queue, one per message; a message's
    // immutable part is JSON, its delivery state columns. (Id 40: clear of other branches' ids.)
    sql: `CREATE TABLE sqs_queues (
      name TEXT PRIMARY KEY,
      record TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE sqs_messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      queue TEXT NOT NULL,
      message TEXT NOT NULL,
      visible_at INTEGER NOT NULL,
      receive_count INTEGER NOT NULL DEFAULT 0,
      first_receive_at INTEGER NOT NULL DEFAULT 0,
      receipt TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX sqs_messages_queue ON sqs_messages (queue, seq);`,
  },
];
