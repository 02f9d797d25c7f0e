// Serverless Framework plugin: before `serverless package` or `serverless deploy` zips anything,
// build the bundles and stage the native Argon2 addon for the configured Lambda architecture
// beside the functions that load it (`node esbuild.config.mjs package <architecture>`). A deploy
// therefore never ships a hashing function without its binding, or with the build machine's.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

class LambdaPackaging {
  constructor(serverless) {
    const build = () => {
      const { provider, functions } = serverless.service;
      const architecture = provider.architecture ?? 'x86_64';
      const other = Object.entries(functions ?? {}).find(
        ([, fn]) => fn.architecture && fn.architecture !== architecture,
      );
      // One staging per package run: every function ships the provider's architecture.
      if (other)
        throw new serverless.classes.Error(
          `Function ${other[0]} sets architecture ${other[1].architecture}; set provider.architecture instead.`,
        );
      execFileSync(
        process.execPath,
        [join(serverless.serviceDir, 'esbuild.config.mjs'), 'package', architecture],
        {
          cwd: serverless.serviceDir,
          stdio: 'inherit',
        },
      );
    };
    this.hooks = {
      'before:package:createDeploymentArtifacts': build,
      'before:package:function:package': build,
    };
  }
}

module.exports = LambdaPackaging;
