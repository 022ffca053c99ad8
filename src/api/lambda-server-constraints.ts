import type { ServiceModel } from './service-model.js';

/**
 * Where Lambda's service checks a member with a newer constraint than the published model says,
 * the model is brought up to what AWS answers today (recorded Lambda API snapshots, 2025-11):
 * - function names accept the `eusc-` (European Sovereign Cloud) region prefix;
 * - a layer version ARN in `Layers` may have 2048 characters and also be an `awslayer` ARN.
 * - RecursiveLoop's enum is listed Terminate first (recorded: put_recursion_invalid_value_error).
 * The validation messages then carry AWS's current texts.
 */
const FUNCTION_NAME_SHAPES = ['FunctionName', 'NamespacedFunctionName', 'UnqualifiedFunctionName'];

const LAYER_VERSION_ARN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)';

export function applyLambdaServerConstraints(model: ServiceModel): void {
  for (const name of FUNCTION_NAME_SHAPES) {
    const shape = model.shapes[name];
    if (shape?.pattern && !shape.pattern.includes('eusc-')) {
      shape.pattern = shape.pattern.replace('lambda:)?([a-z]{2}((-gov)', 'lambda:)?((eusc-)?[a-z]{2}((-gov)');
    }
  }
  const loop = model.shapes['RecursiveLoop'];
  if (loop?.enum) loop.enum = ['Terminate', 'Allow'];
  const layer = model.shapes['LayerVersionArn'];
  if (layer) {
    layer.max = 2048;
    layer.pattern = LAYER_VERSION_ARN;
  }
}
