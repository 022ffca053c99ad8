import { verify as edVerify, type KeyObject } from 'node:crypto';
import type { AuditRow } from '../ports/audit-store.js';
import { GENESIS, linkHash, type DigestRecord } from './audit-chain.js';
import { publicKeyFingerprint } from './digest-signer.js';

export type ProblemKind = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'signature' | 'digest-mismatch';

export interface ChainProblem {
  kind: ProblemKind;
  /** The link where it shows. */
  seq: number;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  records: number;
  digests: number;
  firstSeq?: number;
  lastSeq?: number;
  lastDigestSeq?: number;
  problems: ChainProblem[];
  /** Not failures: the unsigned tail, a start at a retention digest. */
  warnings: string[];
}

/**
 * Walks the links in seq order and says what is wrong and where. Every link must hash to its
 * stored hash (else it was edited) and name the previous link's hash; when it names another one,
 * where that hash lives tells the tampering apart: nowhere — links were deleted; later in the
 * trail — links were reordered; further back — the links in between are not part of the chain
 * (inserted). A digest's signature must verify with a trusted key and its `lastRecordHash` must be
 * the link before it, so rewriting and re-hashing a whole stretch still fails at the next digest.
 * Links after the last digest are unsigned: a warning, as a CloudTrail log file not yet covered by
 * a digest file is.
 */
export function verifyChain(rows: AuditRow[], trustedKeys: KeyObject[], retention?: { now: number; retentionDays: number }): ChainReport {
  const keys = new Map(trustedKeys.map((k) => [publicKeyFingerprint(k), k]));
  const byHash = new Map<string, number>();
  rows.forEach((r, i) => { if (!byHash.has(r.hash)) byHash.set(r.hash, i); });
  const problems: ChainProblem[] = [];
  const warnings: string[] = [];
  const reordered = new Set<number>();
  let lastDigest = -1;
  let digests = 0;
  const add = (kind: ProblemKind, seq: number, message: string) => problems.push({ kind, seq, message });

  rows.forEach((r, i) => {
    let signedOk = false;
    if (linkHash(r.prevHash, r.record) !== r.hash) add('edited', r.seq, `record ${r.seq} was edited: its content does not match its hash`);
    if (r.kind === 'digest') {
      digests++;
      lastDigest = i;
      signedOk = checkDigest(r, keys, add);
    }
    if (i === 0) {
      if (r.prevHash === GENESIS) return;
      if (r.kind === 'digest' && signedOk) {
        // Retention prunes only up to a digest already older than its window: a start at a younger
        // digest means records were deleted that retention would have kept.
        const at = Date.parse((JSON.parse(r.record) as DigestRecord).digestEndTime);
        if (retention && retention.retentionDays > 0 && at > retention.now - retention.retentionDays * 86_400_000) {
          add('deleted', r.seq, `the trail starts at digest ${r.seq} of ${new Date(at).toISOString()}, inside the ${retention.retentionDays}-day retention window: the records before it were deleted`);
          return;
        }
        warnings.push(`the trail starts at digest ${r.seq}: earlier records were removed by retention; the digest's signature anchors what follows`);
        return;
      }
      add('deleted', r.seq, `chain break before record ${r.seq}: the trail's first records were deleted`);
      return;
    }
    const prev = rows[i - 1]!;
    if (r.prevHash === prev.hash) {
      if (r.seq !== prev.seq + 1) add('deleted', r.seq, `records ${prev.seq + 1}–${r.seq - 1} are missing although the chain is intact`);
      return;
    }
    const j = byHash.get(r.prevHash);
    if (j === undefined) {
      const span = r.seq > prev.seq + 1 ? `records ${prev.seq + 1}–${r.seq - 1} were deleted` : `a record was deleted here, or record ${prev.seq} was rewritten and re-hashed`;
      add('deleted', r.seq, `chain break between records ${prev.seq} and ${r.seq}: ${span}`);
    } else if (j > i) {
      add('reordered', r.seq, `record ${r.seq} is chained after record ${rows[j]!.seq}: records were reordered`);
      reordered.add(r.seq).add(rows[j]!.seq);
    } else {
      const between = rows.slice(j + 1, i);
      // The other half of a reordering already reported: the links between were moved, not added.
      if (between.some((b) => reordered.has(b.seq))) return;
      for (const b of between) add('inserted', b.seq, `record ${b.seq} is not part of the chain: it was inserted between records ${rows[j]!.seq} and ${r.seq}`);
    }
  });
  const tail = rows.length - 1 - lastDigest;
  if (tail > 0) warnings.push(`${tail} record(s) after ${lastDigest >= 0 ? `the last digest (${rows[lastDigest]!.seq})` : 'the start'} are not yet covered by a signed digest (records ${rows[lastDigest + 1]!.seq}–${rows.at(-1)!.seq})`);
  return {
    ok: problems.length === 0,
    records: rows.length - digests,
    digests,
    ...(rows.length ? { firstSeq: rows[0]!.seq, lastSeq: rows.at(-1)!.seq } : {}),
    ...(lastDigest >= 0 ? { lastDigestSeq: rows[lastDigest]!.seq } : {}),
    problems,
    warnings,
  };
}

function checkDigest(r: AuditRow, keys: Map<string, KeyObject>, add: (kind: ProblemKind, seq: number, message: string) => void): boolean {
  let d: DigestRecord;
  try {
    d = JSON.parse(r.record) as DigestRecord;
  } catch {
    add('signature', r.seq, `digest ${r.seq} is not readable`);
    return false;
  }
  const key = keys.get(d.publicKeyFingerprint);
  if (!key) {
    add('signature', r.seq, `digest ${r.seq} is signed by an unknown key (${String(d.publicKeyFingerprint).slice(0, 16)}…)`);
    return false;
  }
  if (!r.signature || !edVerify(null, Buffer.from(r.record), key, Buffer.from(r.signature, 'base64'))) {
    add('signature', r.seq, `digest ${r.seq}: the signature does not verify`);
    return false;
  }
  if (d.lastRecordHash !== r.prevHash) {
    add('digest-mismatch', r.seq, `digest ${r.seq} signed a different chain: the records up to ${d.digestEndSeq} were rewritten`);
  }
  return true;
}
