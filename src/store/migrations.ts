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
];
