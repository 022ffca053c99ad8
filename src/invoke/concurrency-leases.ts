import { TooManyRequestsException } from '../domain/errors.js';
import { decideLease, provisionedKey, type ConcurrencyUsage, type LeaseKind, type LeaseRequest } from './concurrency-policy.js';

export interface Lease {
  kind: LeaseKind;
}

/**
 * Counts running invocations and hands out leases only through `withLease`, which always gives them
 * back. A refused lease is Lambda's 429: TooManyRequestsException "Rate Exceeded." with the
 * throttle `Reason` (recorded, test_lambda.snapshot.json) and a Retry-After header.
 */
export class ConcurrencyLeases {
  #unreserved = 0;
  readonly #byFunction = new Map<string, number>();
  readonly #provisioned = new Map<string, number>();

  async withLease<T>(req: LeaseRequest, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const decision = decideLease(this.usage(), req);
    if (decision.kind === 'throttle') {
      throw new TooManyRequestsException('Rate Exceeded.', { fields: { Reason: decision.reason }, headers: { 'retry-after': '1' } });
    }
    const kind = decision.kind;
    const pk = req.qualifier !== undefined ? provisionedKey(req.functionName, req.qualifier) : '';
    bump(this.#byFunction, req.functionName, 1);
    if (kind === 'unreserved') this.#unreserved++;
    if (kind === 'provisioned') bump(this.#provisioned, pk, 1);
    try {
      return await fn({ kind });
    } finally {
      bump(this.#byFunction, req.functionName, -1);
      if (kind === 'unreserved') this.#unreserved--;
      if (kind === 'provisioned') bump(this.#provisioned, pk, -1);
    }
  }

  usage(): ConcurrencyUsage {
    return { unreserved: this.#unreserved, byFunction: this.#byFunction, provisioned: this.#provisioned };
  }

  /** Invocations of a function running now. */
  running(functionName: string): number {
    return this.#byFunction.get(functionName) ?? 0;
  }
}

function bump(m: Map<string, number>, k: string, by: number): void {
  const v = (m.get(k) ?? 0) + by;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}
