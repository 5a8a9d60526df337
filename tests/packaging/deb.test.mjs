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

// ELF e_machine values of the architectures the package is built for.
const MACHINE = { arm64: 183, armhf: 40, amd64: 62 };

test(`the ${ARCH} package declares what dpkg needs and installs henge-pi with its unit`, () => {
  const field = (name) => execFileSync('dpkg-deb', ['-f', DEB, name], { encoding: 'utf8' }).trim();
  assert.equal(field('Package'), 'henge-pi');
  assert.equal(field('Architecture'), ARCH);
  assert.match(field('Version'), /^\d+\.\d+\.\d+$/);
  for (const dep of ['libc6', 'libcjson1']) assert.match(field('Depends'), new RegExp(`\\b${dep} \\(>=`));
  // TLS is mbedTLS, linked in: no TLS library, and no libcurl, is asked of the Pi.
  assert.doesNotMatch(field('Depends'), /libcurl|libmbedtls|libssl|libgnutls/);

  const dir = mkdtempSync(join(tmpdir(), 'henge-deb-'));
  execFileSync('dpkg-deb', ['-x', DEB, dir]);
  const binary = readFileSync(join(dir, 'usr', 'bin', 'henge-pi'));
  assert.equal(binary.subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(binary.readUInt16LE(18), MACHINE[ARCH], 'the binary is built for the package\'s architecture');
  const unit = readFileSync(join(dir, 'usr', 'lib', 'systemd', 'system', 'henge-pi.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/henge-pi /m);
});
