// Jest transform for *.txt imports: the module's default export is the file's text, as esbuild's text loader does.
module.exports = {
  process(source) {
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(source)} };` };
  },
};
