/** The function every measurement invokes, identical on Flint and on serverless-offline. */

export const HELLO_RESPONSE = '{"hello":"world"}';
export const HELLO_PAYLOAD = '{"bench":true}';
/** Holds an invocation this long so concurrent requests need distinct environments. */
export const holdPayload = (ms: number) => JSON.stringify({ sleepMs: ms });

/** Node.js handler (index.mjs, handler `index.handler`). */
export const NODE_HELLO = `export const handler = async (event) => {
  if (event && event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  return ${HELLO_RESPONSE};
};
`;

/** Python handler (index.py, handler `index.handler`). */
export const PYTHON_HELLO = `import time

def handler(event, context):
    if isinstance(event, dict) and event.get("sleepMs"):
        time.sleep(event["sleepMs"] / 1000)
    return {"hello": "world"}
`;
