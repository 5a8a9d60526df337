// One validator of the device protocol's written guarantees (docs/protocol.md), run
// over what the fault proxy recorded and what a client applied, whatever the client:
//   - ordered: on each stream, config revisions strictly increase, and each event's id
//     is its document's revision;
//   - no revision applied twice, and none out of order;
//   - the final revision reached: the client applied the desired revision last;
//   - its ack recorded: henged has the device in_sync at that revision.

import assert from 'node:assert/strict';

export function checkStreams(proxy, who) {
  for (const [n, s] of proxy.heldStreams().entries()) {
    let last = 0;
    for (const f of s.frames.filter((x) => x.event === 'config')) {
      const rev = Number(f.id);
      assert.ok(rev > last, `${who}: stream ${n} sent revision ${rev} after ${last}`);
      if (f.json) assert.equal(f.json.revision, rev, `${who}: stream ${n}: event id ${f.id} carries revision ${f.json.revision}`);
      last = rev;
    }
  }
}

export function checkApplies(applies, who) {
  for (let i = 1; i < applies.length; i += 1) {
    assert.ok(applies[i] > applies[i - 1], `${who} applied ${applies[i]} after ${applies[i - 1]}: ${JSON.stringify(applies)}`);
  }
}

// Everything above, once the device has settled at `desired`.
export function checkSettled({ proxy, client, device, desired }) {
  const who = client.kind;
  checkStreams(proxy, who);
  const applies = client.applies();
  checkApplies(applies, who);
  assert.equal(applies.at(-1), desired, `${who} applied ${JSON.stringify(applies)}, not ending at ${desired}`);
  assert.equal(device.applied_revision, desired, `${who}: henged records ${device.applied_revision}, not ${desired}`);
  assert.equal(device.status, 'in_sync', `${who}: henged says ${device.status}`);
}
