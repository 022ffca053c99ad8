// Imported once by a pre-initialized runtime before it is bound (see bindFunction in ../index.mjs):
// loading a file module compiles the ES module loader's file path before a caller waits on it.
export default 0;
