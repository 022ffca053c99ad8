/** The function every warm-path measurement invokes, identical on Flint and on serverless-offline. */

export const HELLO_RESPONSE = '{"hello":"world"}';
export const HELLO_PAYLOAD = '{"bench":true}';

/** Node.js handler (index.mjs, handler `index.handler`). */
export const NODE_HELLO = `export const handler = async () => (${HELLO_RESPONSE});\n`;

/** Python handler (index.py, handler `index.handler`). */
export const PYTHON_HELLO = `def handler(event, context):\n    return {"hello": "world"}\n`;
