import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  PublishLayerVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';

/** Functions referencing layer versions (published through the layer API) and showing reserved concurrency. */
const LAYER = 'arn:aws:lambda:us-east-1:000000000000:layer';

let h: Harness;
let zip: Buffer;
let layerZip: Buffer;
before(async () => {
  h = await startHarness();
  zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  layerZip = await makeZip({ 'nodejs/node_modules/dep/index.js': 'module.exports = 1;' });
  for (const name of ['shared', 'shared', 'a', 'b', 'c', 'd', 'e']) {
    await h.client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: layerZip } }));
  }
});
after(async () => { await h.stop(); });

const create = (name: string, extra: Partial<CreateFunctionCommandInput> = {}) =>
  h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra }));

test('create-function: Layers resolve to Arn and CodeSize in the configuration', async () => {
  const created = await create('with-layers', { Layers: [`${LAYER}:shared:2`, `${LAYER}:a:1`] });
  assert.deepEqual(created.Layers, [
    { Arn: `${LAYER}:shared:2`, CodeSize: layerZip.length },
    { Arn: `${LAYER}:a:1`, CodeSize: layerZip.length },
  ]);
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'with-layers' }));
  assert.deepEqual(got.Configuration?.Layers?.map((l) => l.Arn), [`${LAYER}:shared:2`, `${LAYER}:a:1`]);
});

test('create-function: layer references are checked in Lambda’s order with Lambda’s texts', async () => {
  const ipve = (message: string) => ({ name: 'InvalidParameterValueException', status: 400, message });
  const six = ['shared:1', 'a:1', 'b:1', 'c:1', 'd:1', 'e:1'].map((l) => `${LAYER}:${l}`);
  await expectAwsError(create('bad-layers', { Layers: six }), ipve('Cannot reference more than 5 layers.'));
  await expectAwsError(
    create('bad-layers', { Layers: ['arn:aws:lambda:eu-west-1:000000000000:layer:a:1'] }),
    ipve('Layers are not in the same region as the function. Layers are expected to be in region us-east-1.'),
  );
  await expectAwsError(
    create('bad-layers', { Layers: [`${LAYER}:shared:1`, `${LAYER}:shared:2`] }),
    ipve(`Two different versions of the same layer are not allowed to be referenced in the same function. ${LAYER}:shared:1 and ${LAYER}:shared:2 are versions of the same layer.`),
  );
  await expectAwsError(
    create('bad-layers', { Layers: [`${LAYER}:shared:1`, `${LAYER}:shared:1`] }),
    ipve(`Two different versions of the same layer are not allowed to be referenced in the same function. ${LAYER}:shared:1 and ${LAYER}:shared:1 are versions of the same layer.`),
  );
  await expectAwsError(create('bad-layers', { Layers: [`${LAYER}:doesnotexist:1`] }), ipve(`Layer version ${LAYER}:doesnotexist:1 does not exist.`));
  await expectAwsError(create('bad-layers', { Layers: [`${LAYER}:shared:9`] }), ipve(`Layer version ${LAYER}:shared:9 does not exist.`));
  await expectAwsError(create('bad-layers', { Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:shared:1'] }), ipve('Layer version arn:aws:lambda:us-east-1:123456789012:layer:shared:1 does not exist.'));
});

test('update-function-configuration: Layers are replaced, and an empty list removes them', async () => {
  await create('relayer', { Layers: [`${LAYER}:a:1`] });
  await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'relayer' }));
  const updated = await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'relayer', Layers: [`${LAYER}:b:1`] }));
  assert.deepEqual(updated.Layers?.map((l) => l.Arn), [`${LAYER}:b:1`]);
  await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'relayer' }));
  const cleared = await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'relayer', Layers: [] }));
  assert.equal(cleared.Layers, undefined);
});

test('get-function: Concurrency shows the reserved concurrency once set', async () => {
  await create('reserved');
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'reserved', ReservedConcurrentExecutions: 7 }));
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'reserved' }));
  assert.deepEqual(got.Concurrency, { ReservedConcurrentExecutions: 7 });
});
