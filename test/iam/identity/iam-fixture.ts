import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SqliteMetadataStore } from '../../../src/store/sqlite-metadata-store.js';
import { createIamServices, type IamServices } from '../../../src/iam/identity/iam-services.js';
import type { Principal } from '../../../src/domain/principal.js';

export const ACCOUNT = '000000000000';
export const ROOT = { accessKeyId: 'AKIAROOTROOTROOTROOT', secretAccessKey: 'root-secret' };
export const ROOT_PRINCIPAL: Principal = { type: 'Account', arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT, userId: ACCOUNT };

export const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
export const allow = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
export const trust = (service = 'lambda.amazonaws.com') =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

/** A clock tests move by hand. */
export class TestClock {
  t = Date.UTC(2025, 0, 1);
  now(): number { return this.t; }
  monotonic(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}

export interface Kit {
  dir: string;
  store: SqliteMetadataStore;
  clock: TestClock;
  iam: IamServices;
  /** Opens the same data directory again (a restart). */
  reopen(): IamServices;
  close(): void;
}

export function openKit(): Kit {
  const dir = mkdtempSync(join(tmpdir(), 'flint-iam-'));
  const clock = new TestClock();
  const kit: Kit = {
    dir,
    clock,
    store: new SqliteMetadataStore(join(dir, 'flint.db')),
    iam: undefined as unknown as IamServices,
    reopen() {
      kit.store.close();
      kit.store = new SqliteMetadataStore(join(dir, 'flint.db'));
      kit.iam = createIamServices({ store: kit.store, clock, accountId: ACCOUNT, region: 'us-east-1', root: ROOT });
      return kit.iam;
    },
    close() {
      kit.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  kit.iam = createIamServices({ store: kit.store, clock, accountId: ACCOUNT, region: 'us-east-1', root: ROOT });
  return kit;
}

/** Asserts that fn throws an AwsError of this type with exactly this message. */
export function throwsAws(fn: () => unknown, type: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    const err = e as { type?: string; message: string };
    assert.equal(err.type, type, `type of: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

export function userPrincipal(iam: IamServices, name: string): Principal {
  const u = iam.users.require(name);
  return { type: 'User', arn: u.Arn, accountId: ACCOUNT, userId: u.UserId, userName: u.UserName };
}
