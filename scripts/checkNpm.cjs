// Runs before `npm install` on whatever Node the machine has (>= 20); it only
// checks that npm itself is new enough to install the pinned Node 24 binary.
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`pushrun: npm install needs Node >= 20 on the machine (found ${process.version}).`);
  process.exit(1);
}
