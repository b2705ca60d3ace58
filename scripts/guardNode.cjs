// npm scripts put node_modules/.bin first on PATH, where the `node` package
// installs a Node 24 binary. If its install script was skipped the scripts
// silently fall back to the system Node, and the Google clients and vitest
// break in confusing ways; fail loudly instead.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `pushrun: this script must run on Node >= 24 but got ${process.version} (${process.execPath}).\n` +
      'Run it through npm (npm test, npm start, …) after a plain `npm install`; ' +
      'the `node` devDependency provides Node 24 in node_modules/.bin.',
  );
  process.exit(1);
}
