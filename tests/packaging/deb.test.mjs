// The henge-pi .deb built by CPack: the fields a Raspberry Pi's dpkg checks, the files
// it installs, and a binary for the package's architecture.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEB = process.env.HENGE_DEB;
const ARCH = process.env.HENGE_DEB_ARCH;
if (!DEB || !ARCH) throw new Error('HENGE_DEB and HENGE_DEB_ARCH must name the package and its architecture');

// Whether an ELF binary is static: it names no program interpreter (PT_INTERP).
function isStatic(elf) {
  const is64 = elf[4] === 2;
  const phoff = Number(is64 ? elf.readBigUInt64LE(32) : elf.readUInt32LE(28));
  const phentsize = elf.readUInt16LE(is64 ? 54 : 42);
  const phnum = elf.readUInt16LE(is64 ? 56 : 44);
  for (let i = 0; i < phnum; ++i) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  }
  return true;
}

// ELF e_machine values of the architectures the package is built for.
const MACHINE = { arm64: 183, armhf: 40, amd64: 62 };

test(`the ${ARCH} package declares what dpkg needs and installs henge-pi with its unit`, () => {
  const field = (name) => execFileSync('dpkg-deb', ['-f', DEB, name], { encoding: 'utf8' }).trim();
  assert.equal(field('Package'), 'henge-pi');
  assert.equal(field('Architecture'), ARCH);
  assert.match(field('Version'), /^\d+\.\d+\.\d+$/);

  const dir = mkdtempSync(join(tmpdir(), 'henge-deb-'));
  execFileSync('dpkg-deb', ['-x', DEB, dir]);
  const binary = readFileSync(join(dir, 'usr', 'bin', 'henge-pi'));
  if (isStatic(binary)) {
    // Everything is linked in: nothing is asked of the board's userland.
    assert.equal(field('Depends'), '');
  } else {
    // mbedTLS and libhenge-core are linked in: the C library is all the Pi is asked for.
    assert.match(field('Depends'), /^libc6 \(>= [\d.]+\)$/);
  }
  assert.equal(binary.subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(binary.readUInt16LE(18), MACHINE[ARCH], 'the binary is built for the package\'s architecture');
  const unit = readFileSync(join(dir, 'usr', 'lib', 'systemd', 'system', 'henge-pi.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/henge-pi /m);
});
