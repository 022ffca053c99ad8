/** Lambda's deployment-package quotas. */
export const CODE_LIMITS = {
  /** Zipped archive uploaded directly (ZipFile). */
  zippedBytes: 52_428_800,
  /** Function code plus all layers, unzipped. */
  unzippedBytes: 262_144_000,
  /** Layers a function may reference. */
  maxLayers: 5,
} as const;
