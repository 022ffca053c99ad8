import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';
import { InProcessEvents } from '../../src/app/in-process-events.js';
import { Arns } from '../../src/domain/function-name.js';
import { FunctionService } from '../../src/control/function-service.js';
import { makeZip } from '../helpers/zip.js';
import { openKmsKit, type KmsKit } from '../kms/kms-fixture.js';

/**
 * FunctionService over Flint's own KMS key service (src/kms) rather than a fake: KMS's real error
 * types and texts become Lambda's start failures, and every use is audited with the function as
 * its reason.
 */
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:kms-real';
let kit: KmsKit;
let functions: FunctionService;
let keyArn: string;

before(async () => {
  kit = openKmsKit();
  const code = new EncryptedCodeStore({ dataDir: (kit.store.db.name as string).replace(/\/flint\.db$/, ''), masterKey: randomBytes(32), db: kit.store.db });
  let n = 0;
  functions = new FunctionService({ store: kit.store, code, clock: kit.clock, arns: new Arns('us-east-1', '000000000000'), events: new InProcessEvents(), uuid: () => `rev-${++n}`, keys: kit.kms.keyService });
  keyArn = kit.kms.admin.createKey({}).KeyMetadata['Arn'] as string;
  await functions.create({
    FunctionName: 'kms-real', Role: 'arn:aws:iam::000000000000:role/r', Runtime: 'nodejs20.x', Handler: 'index.handler',
    Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) }, KMSKeyArn: keyArn, Environment: { Variables: { A: 'b' } },
  });
});
after(() => kit.close());

test('with Flint KMS: disable → KMSDisabledException, pending deletion → KMSInvalidStateException, enable → starts again; uses audited with the function as reason', () => {
  const rec = functions.getVersion('kms-real');
  assert.deepEqual(functions.openForStart(rec).config.Environment, { Variables: { A: 'b' } });
  kit.kms.admin.disableKey({ KeyId: keyArn });
  assert.throws(() => functions.openForStart(rec), {
    name: 'KMSDisabledException',
    message: /^Lambda was unable to decrypt the environment variables because the KMS key used is disabled\. Please check the function's KMS key settings\. KMS Exception: DisabledExceptionKMS Message: /,
  });
  kit.kms.admin.enableKey({ KeyId: keyArn });
  assert.deepEqual(functions.openForStart(rec).config.Environment, { Variables: { A: 'b' } });
  kit.kms.admin.scheduleKeyDeletion({ KeyId: keyArn, PendingWindowInDays: 7 });
  assert.throws(() => functions.openForStart(rec), { name: 'KMSInvalidStateException', message: /KMS Exception: KMSInvalidStateExceptionKMS Message: / });
  const uses = kit.audit.events.filter((e) => JSON.stringify(e).includes(ARN));
  assert.ok(uses.length >= 4, `uses of the key on the function's behalf are audited (${uses.length})`);
  assert.ok(uses.some((e) => e.errorType !== undefined), 'refused uses are audited too');
});
