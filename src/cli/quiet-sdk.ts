// Loaded before anything else in the CLI. The AWS SDK for JavaScript prints a 9-line
// NodeVersionSupportWarning on Node < 22; its documented switch is this variable. A CLI user
// cannot act on a warning about a library's support policy, so `flint` keeps stderr for its own words.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
export {};
