// gulp-cli does not know tsx: respawn node with tsx's loader so gulpfile.ts (ESM) loads.
module.exports = { nodeFlags: ["--import", "tsx"] };
