import type { Operation, ServiceModel } from '../service-model.js';

interface Route {
  operation: Operation;
  method: string;
  /** Literal segment text, or a `{Name}` capture. */
  segments: Array<{ literal: string } | { capture: string }>;
  /** Query parameters the route requires literally (e.g. `?find=LayerVersion`). */
  query: Array<[string, string]>;
}

export interface RouteMatch {
  operation: Operation;
  /** Decoded values of the path's `{Name}` captures. */
  params: Record<string, string>;
}

/**
 * Maps method + path (+ literal query) to a model operation, straight from each operation's
 * `http.requestUri`. Routes with query literals win over their bare twins, as in AWS's routing
 * (GET /2018-10-31/layers?find=LayerVersion is GetLayerVersionByArn, without it ListLayers).
 */
export class OperationRouter {
  readonly #routes: Route[] = [];
  /** Routes by method and segment count (in #routes order): a request is matched against a handful, not all. */
  readonly #byShape = new Map<string, Route[]>();

  constructor(model: ServiceModel) {
    for (const [name, op] of Object.entries(model.operations)) {
      const [path, qs] = op.http.requestUri.split('?') as [string, string | undefined];
      const segments = path.split('/').filter(Boolean).map((s) =>
        s.startsWith('{') ? { capture: s.slice(1, -1).replace(/\+$/, '') } : { literal: s },
      );
      const query = qs ? [...new URLSearchParams(qs).entries()] : [];
      this.#routes.push({ operation: { ...op, name }, method: op.http.method, segments, query });
    }
    this.#routes.sort((a, b) => b.query.length - a.query.length);
    for (const r of this.#routes) {
      const k = `${r.method} ${r.segments.length}`;
      const list = this.#byShape.get(k);
      if (list) list.push(r);
      else this.#byShape.set(k, [r]);
    }
  }

  /** `rawPath` is the path as received (still percent-encoded). */
  match(method: string, rawPath: string, query: URLSearchParams): RouteMatch | undefined {
    const parts = rawPath.split('/').filter(Boolean);
    for (const route of this.#byShape.get(`${method} ${parts.length}`) ?? []) {
      if (!route.query.every(([k, v]) => query.get(k) === v)) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i]!;
        if ('literal' in seg) {
          if (seg.literal !== parts[i]) { ok = false; break; }
        } else {
          try {
            params[seg.capture] = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
            break;
          }
        }
      }
      if (ok) return { operation: route.operation, params };
    }
    return undefined;
  }

  /** True when some operation serves this path with another method (for a 405-style error). */
  knowsPath(rawPath: string): boolean {
    const n = rawPath.split('/').filter(Boolean).length;
    return this.#routes.some((r) => r.segments.length === n && r.segments.every((s, i) => !('literal' in s) || s.literal === rawPath.split('/').filter(Boolean)[i]));
  }
}
