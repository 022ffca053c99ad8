import { principalArnKey, type Principal } from '../../domain/principal.js';

export type ContextValue = string | readonly string[] | undefined;

/** Who asks: an IAM identity, or an AWS service acting through a service principal. */
export type RequestPrincipal = Principal | { type: 'Service'; service: string };

/**
 * The request context's condition keys, looked up by lower-cased name (IAM: "context key names
 * are not case-sensitive"). Keys the caller did not give are derived where IAM derives them from
 * the caller itself ("AWS global condition context keys"): aws:PrincipalArn (the role's ARN for a
 * role session), aws:PrincipalAccount, aws:PrincipalType, aws:userid, aws:username (IAM users
 * only), and from the request time aws:CurrentTime and aws:EpochTime. The lower-cased map is built
 * on first use, so requests matched by condition-free statements never pay for it.
 */
export class RequestKeys {
  readonly #context: Record<string, string | string[] | undefined>;
  readonly #principal: RequestPrincipal;
  readonly #now: number;
  #map: Map<string, string | string[] | undefined> | undefined;

  constructor(principal: RequestPrincipal, context: Record<string, string | string[] | undefined>, now: number) {
    this.#principal = principal;
    this.#context = context;
    this.#now = now;
  }

  /** The key's value(s), undefined when the request does not carry it. */
  get(lowerKey: string): ContextValue {
    let map = this.#map;
    if (!map) {
      map = new Map();
      for (const k in this.#context) map.set(k.toLowerCase(), this.#context[k]);
      this.#map = map;
    }
    const given = map.get(lowerKey);
    return given !== undefined ? given : this.#derived(lowerKey);
  }

  /** `get` bound for policy-variable substitution. */
  readonly lookup = (lowerKey: string): ContextValue => this.get(lowerKey);

  #derived(lowerKey: string): string | undefined {
    const p = this.#principal;
    switch (lowerKey) {
      case 'aws:currenttime':
        return new Date(this.#now).toISOString();
      case 'aws:epochtime':
        return String(Math.floor(this.#now / 1000));
    }
    if (p.type === 'Service') return undefined;
    switch (lowerKey) {
      case 'aws:principalarn':
        return principalArnKey(p);
      case 'aws:principalaccount':
        return p.accountId;
      case 'aws:principaltype':
        return p.type;
      case 'aws:userid':
        return p.userId;
      case 'aws:username':
        return p.type === 'User' ? p.userName : undefined;
      default:
        return undefined;
    }
  }
}
