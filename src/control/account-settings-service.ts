import type { ControlContext } from './control-context.js';
import type { ConcurrencyService } from './concurrency-service.js';
import { CODE_LIMITS } from '../domain/code-limits.js';
import { COLLECTIONS, type FunctionVersionRecord, type LayerVersionRecord } from '../domain/records.js';

/** Lambda's default storage quota for all deployment packages and layers in a region: 75 GB. */
const TOTAL_CODE_SIZE_LIMIT = 80_530_636_800;

/**
 * GetAccountSettings: the account's limits and what is used of them. TotalCodeSize counts every
 * function version's package (each published version counts, as in AWS, even when the bytes are
 * shared) plus every layer version's archive.
 */
export class AccountSettingsService {
  readonly #ctx: ControlContext;
  readonly #concurrency: ConcurrencyService;

  constructor(ctx: ControlContext, concurrency: ConcurrencyService) {
    this.#ctx = ctx;
    this.#concurrency = concurrency;
  }

  get() {
    const store = this.#ctx.store;
    let codeSize = 0;
    for (const { value } of store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions).list()) {
      // Image functions count against the registry's quota, not Lambda's.
      if (value.config.PackageType !== 'Image') codeSize += value.config.CodeSize;
    }
    for (const { value } of store.collection<LayerVersionRecord>(COLLECTIONS.layerVersions).list()) codeSize += value.Content.CodeSize;
    return {
      AccountLimit: {
        TotalCodeSize: TOTAL_CODE_SIZE_LIMIT,
        CodeSizeUnzipped: CODE_LIMITS.unzippedBytes,
        CodeSizeZipped: CODE_LIMITS.zippedBytes,
        ConcurrentExecutions: this.#concurrency.limit,
        UnreservedConcurrentExecutions: this.#concurrency.unreserved(),
      },
      AccountUsage: {
        TotalCodeSize: codeSize,
        FunctionCount: store.collection(COLLECTIONS.functions).count(),
      },
    };
  }
}
