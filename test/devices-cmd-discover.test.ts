import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findDeviceContract } from "../plugins/devices-cmd/index.js";

const CONTRACT = path.resolve(import.meta.dirname, "fixtures/reference/contracts/windows-device-contract.json");

describe("findDeviceContract", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "contract-discover-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Put a contract at <dir>/docs/windows-device-contract.json and return its path. */
  function placeContract(dir: string): string {
    const target = path.join(dir, "docs", "windows-device-contract.json");
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(CONTRACT, target);
    return target;
  }

  /** root/d1/d2/.../dN, created. */
  function nested(depth: number): string {
    const dir = path.join(root, ...Array.from({ length: depth }, (_, i) => `d${i + 1}`));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  it("finds the contract in the guest-tools dir itself", () => {
    const guestTools = nested(1);
    const placed = placeContract(guestTools);
    assert.equal(findDeviceContract(guestTools), placed);
  });

  it("finds the contract in a parent directory", () => {
    const guestTools = path.join(root, "repo", "guest-tools");
    mkdirSync(guestTools, { recursive: true });
    const placed = placeContract(path.join(root, "repo"));
    assert.equal(findDeviceContract(guestTools), placed);
  });

  it("prefers the nearest contract", () => {
    const guestTools = nested(2);
    placeContract(root);
    const near = placeContract(path.dirname(guestTools));
    assert.equal(findDeviceContract(guestTools), near);
  });

  it("returns an absolute path for a relative guest-tools dir", () => {
    const guestTools = nested(3);
    const expected = placeContract(root);
    const relative = path.relative(process.cwd(), guestTools);
    assert.ok(!path.isAbsolute(relative));
    assert.equal(findDeviceContract(relative), expected);
  });

  it("looks at 16 directories: the guest-tools dir and 15 parents", () => {
    placeContract(root);
    assert.equal(findDeviceContract(nested(15)), path.join(root, "docs", "windows-device-contract.json"));
    assert.equal(findDeviceContract(nested(16)), undefined);
  });

  it("returns undefined when there is no contract", () => {
    assert.equal(findDeviceContract(nested(16)), undefined);
  });

  it("skips a directory with the contract's name and follows a symlink to a file", () => {
    const guestTools = nested(2);
    mkdirSync(path.join(guestTools, "docs", "windows-device-contract.json"), { recursive: true });
    const parentDocs = path.join(path.dirname(guestTools), "docs");
    mkdirSync(parentDocs);
    symlinkSync(CONTRACT, path.join(parentDocs, "windows-device-contract.json"));
    assert.equal(findDeviceContract(guestTools), path.join(parentDocs, "windows-device-contract.json"));
  });

  it("skips a dangling symlink", () => {
    const guestTools = nested(2);
    mkdirSync(path.join(guestTools, "docs"));
    symlinkSync(path.join(root, "nowhere.json"), path.join(guestTools, "docs", "windows-device-contract.json"));
    const found = placeContract(root);
    assert.equal(findDeviceContract(guestTools), found);
  });
});
