import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditLog, ControlPlaneCall } from '../ports/audit-log.js';
import type { AuditRow, AuditRowIndex, AuditStore, LookupKey } from '../ports/audit-store.js';
import type { Clock } from '../ports/clock.js';
import type { CloudTrailRecord } from '../domain/cloudtrail-record.js';
import { canonicalJson, DIGEST_FORMAT, GENESIS, linkHash, type DigestRecord } from './audit-chain.js';
import type { DigestSigner } from './digest-signer.js';
import { DEFAULT_AUDIT_SELECTOR, selects, type AuditSelector } from './audit-selector.js';
import { callEvent, categoryOf, isReadOnly, serviceEvent, type BuiltEvent } from './cloudtrail-event.js';

export interface AuditTrailOptions {
  store: AuditStore;
  clock: Clock;
  signer: DigestSigner;
  region: string;
  accountId: string;
  selector?: AuditSelector;
  /** A digest closes the chain after this many records (and on `tick()` after `digestIntervalMs`). */
  digestEvery?: number;
  digestIntervalMs?: number;
  /** Records older than this are removed up to a digest (0: kept forever). CloudTrail's event history: 90 days. */
  retentionDays?: number;
  uuid?: () => string;
}

/**
 * The audit trail: every call the selector takes (and every denial) becomes a CloudTrail-format
 * record, appended as a link of a SHA-256 hash chain; every `digestEvery` records, every
 * `digestIntervalMs` with records pending, and at shutdown, a digest link signed with Flint's
 * Ed25519 key closes what came before (src/observe/audit-chain.ts verifies it all).
 */
export class AuditTrail implements AuditLog {
  readonly #store: AuditStore;
  readonly #clock: Clock;
  readonly #signer: DigestSigner;
  readonly #region: string;
  readonly #accountId: string;
  readonly #selector: AuditSelector;
  readonly #digestEvery: number;
  readonly #digestIntervalMs: number;
  readonly #retentionMs: number;
  readonly #uuid: () => string;
  #head: AuditRow | undefined;
  /** Events since the last digest, and where they started. */
  #pending = 0;
  #pendingFrom = 0;
  #pendingSince = '';
  #lastDigest: { seq: number; signature: string } | undefined;
  #lastDigestAt = 0;

  constructor(o: AuditTrailOptions) {
    this.#store = o.store;
    this.#clock = o.clock;
    this.#signer = o.signer;
    this.#region = o.region;
    this.#accountId = o.accountId;
    this.#selector = o.selector ?? DEFAULT_AUDIT_SELECTOR;
    this.#digestEvery = Math.max(1, o.digestEvery ?? 1000);
    this.#digestIntervalMs = o.digestIntervalMs ?? 3600_000;
    this.#retentionMs = (o.retentionDays ?? 90) * 86_400_000;
    this.#uuid = o.uuid ?? randomUUID;
    this.#lastDigestAt = this.#clock.now();
  }

  /**
   * Picks up the chain where the last run left it. Rows an older Flint wrote before the chain
   * existed are sealed into it first (in seq order, as they were written), then a digest signs them.
   * Returns how many rows were sealed.
   */
  open(): { sealed: number } {
    const legacy = this.#store.unsealed();
    let prev: AuditRow | undefined;
    for (const e of legacy) {
      const built = serviceEvent(e, { eventId: this.#uuid(), region: this.#region, accountId: this.#accountId });
      const record = canonicalJson(built.record);
      const prevHash = prev?.hash ?? GENESIS;
      const row: AuditRow = { seq: e.seq, kind: 'event', record, prevHash, hash: linkHash(prevHash, record) };
      this.#store.seal(row, built.index);
      prev = row;
    }
    this.#head = this.#store.head();
    // Events after the last digest are pending; find where they start.
    const tail: AuditRow[] = [];
    for (const r of this.#store.rows({ fromSeq: Math.max(0, (this.#head?.seq ?? 0) - this.#digestEvery - 1) })) {
      if (r.kind === 'digest') {
        tail.length = 0;
        this.#lastDigest = { seq: r.seq, signature: r.signature ?? '' };
      } else tail.push(r);
    }
    this.#pending = tail.length;
    this.#pendingFrom = tail[0]?.seq ?? 0;
    this.#pendingSince = tail[0] ? (JSON.parse(tail[0].record) as { eventTime: string }).eventTime : '';
    if (legacy.length > 0) this.digest();
    return { sealed: legacy.length };
  }

  /** The front door's report of a finished call. */
  onCall(call: ControlPlaneCall): void {
    const denied = call.errorType === 'AccessDeniedException' || call.errorType === 'AccessDenied';
    if (!denied && !selects(this.#selector, categoryOf(call.service, call.operation), isReadOnly(call.operation))) return;
    this.#append(callEvent(call, { time: this.#now(), eventId: this.#uuid(), region: this.#region, accountId: this.#accountId }));
  }

  /** A service's own event (KMS uses on a function's behalf): always recorded, as CloudTrail does. */
  record(event: AuditEvent): void {
    this.#append(serviceEvent(event, { eventId: this.#uuid(), region: this.#region, accountId: this.#accountId }));
  }

  list(opts?: { afterSeq?: number; limit?: number; resource?: string }): AuditEvent[] {
    return this.#store.list(opts);
  }

  /** LookupEvents' query: records newest first. */
  lookup(q: { attribute?: { key: LookupKey; value: string }; startTime?: string; endTime?: string; beforeSeq?: number; limit: number }): Array<{ seq: number; record: CloudTrailRecord; text: string }> {
    return this.#store.lookup(q).map((r) => ({ seq: r.seq, record: JSON.parse(r.record) as CloudTrailRecord, text: r.record }));
  }

  get publicKey(): string {
    return this.#signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /**
   * Signs a digest over the records since the last one (none pending: nothing to sign). The
   * digest is itself a link, so the next records chain onto it.
   */
  digest(): AuditRow | undefined {
    if (this.#pending === 0 || !this.#head) return undefined;
    // Built from the store's head, not this process's: in a cluster other nodes' links follow ours,
    // and the digest must sign the link it follows.
    const row = this.#store.appendAfter((head) => {
      if (!head) return undefined;
      const d: DigestRecord = {
        digestFormat: DIGEST_FORMAT,
        awsAccountId: this.#accountId,
        digestStartTime: this.#pendingSince,
        digestEndTime: this.#now(),
        digestStartSeq: this.#pendingFrom,
        digestEndSeq: head.seq,
        recordCount: this.#pending,
        lastRecordHash: head.hash,
        previousDigestSeq: this.#lastDigest?.seq ?? null,
        previousDigestSignature: this.#lastDigest?.signature ?? null,
        digestSignatureAlgorithm: 'Ed25519',
        publicKeyFingerprint: this.#signer.fingerprint,
      };
      const record = canonicalJson(d);
      return { row: { seq: head.seq + 1, kind: 'digest', record, prevHash: head.hash, hash: linkHash(head.hash, record), signature: this.#signer.sign(record) } };
    });
    if (!row) return undefined;
    this.#head = row;
    this.#lastDigest = { seq: row.seq, signature: row.signature! };
    this.#lastDigestAt = this.#clock.now();
    this.#pending = 0;
    return row;
  }

  /**
   * The periodic work: a digest when `digestIntervalMs` has passed with records pending, then
   * retention. Retention removes only whole stretches that end at a digest older than the cutoff:
   * that digest stays as the trail's first link, and its signature anchors the chain after it.
   */
  tick(): { digest?: AuditRow; pruned: number } {
    const digest = this.#clock.now() - this.#lastDigestAt >= this.#digestIntervalMs ? this.digest() : undefined;
    return { ...(digest ? { digest } : {}), pruned: this.prune() };
  }

  prune(): number {
    if (this.#retentionMs <= 0) return 0;
    const anchor = this.#store.lastDigestBefore(new Date(this.#clock.now() - this.#retentionMs).toISOString());
    return anchor ? this.#store.pruneBefore(anchor.seq) : 0;
  }

  #append(built: BuiltEvent): void {
    const record = canonicalJson(built.record);
    // Linked to the store's head under its append lock: other nodes may have appended since ours.
    const row = this.#store.appendAfter((head) => {
      const prevHash = head?.hash ?? GENESIS;
      return { row: { seq: (head?.seq ?? 0) + 1, kind: 'event', record, prevHash, hash: linkHash(prevHash, record) }, index: built.index as AuditRowIndex };
    })!;
    this.#head = row;
    if (this.#pending === 0) {
      this.#pendingFrom = row.seq;
      this.#pendingSince = built.record.eventTime;
    }
    this.#pending++;
    if (this.#pending >= this.#digestEvery) this.digest();
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}
