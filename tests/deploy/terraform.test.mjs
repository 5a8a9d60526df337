// The Terraform module (deploy/terraform): every file parses as HCL, every variable and
// output is documented and typed, every variable is declared where used and used where
// declared, and the objects it makes keep the properties the Kubernetes manifests are
// held to (probes, security, grace above the drain, the rolling-update strategy).

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from '@cdktf/hcl2json';
import { HENGED } from '../integration/harness.mjs';
import { ROOT } from './image.mjs';

const run = promisify(execFile);
const DIR = join(ROOT, 'deploy', 'terraform');
const files = readdirSync(DIR).filter((f) => f.endsWith('.tf'));
const texts = Object.fromEntries(files.map((f) => [f, readFileSync(join(DIR, f), 'utf8')]));
let module;  // every file's blocks, merged

before(async () => {
  module = { variable: {}, output: {}, resource: {}, locals: [], terraform: [] };
  for (const [name, text] of Object.entries(texts)) {
    const parsed = await parse(name, text);
    for (const [kind, blocks] of Object.entries(parsed)) {
      if (Array.isArray(blocks)) module[kind].push(...blocks);
      else if (kind === 'resource') {
        for (const [type, byName] of Object.entries(blocks)) module.resource[type] = { ...module.resource[type], ...byName };
      } else Object.assign(module[kind], blocks);
    }
  }
});

const only = (blocks) => {
  assert.equal(blocks.length, 1);
  return blocks[0];
};

test('the parser refuses broken HCL (so a file that parses is one Terraform can read)', async () => {
  await assert.rejects(parse('broken.tf', 'variable "x" {\n  type = string\n'));
});

test('every .tf parses, and the module needs the hashicorp/kubernetes provider', () => {
  assert.ok(files.length >= 5, files.join(' '));
  const providers = only(only(module.terraform).required_providers);
  assert.equal(providers.kubernetes.source, 'hashicorp/kubernetes');
});

test('every variable has a description and a type; every output a description', () => {
  const variables = Object.entries(module.variable);
  assert.ok(variables.length >= 10);
  for (const [name, blocks] of variables) {
    const v = only(blocks);
    assert.ok(typeof v.description === 'string' && v.description.length > 10, `variable ${name}: description`);
    assert.ok(v.type, `variable ${name}: type`);
  }
  for (const [name, blocks] of Object.entries(module.output)) {
    assert.ok(only(blocks).description, `output ${name}: description`);
  }
  for (const want of ['image', 'replicas', 'storage_size', 'database_url_secret', 'resources', 'ingress_host']) {
    assert.ok(module.variable[want], `variable ${want}`);
  }
  assert.ok(module.output.service_url, 'output service_url');
});

test('every var.X used is declared, and every declared variable is used', () => {
  const declared = new Set(Object.keys(module.variable));
  const used = new Set();
  for (const text of Object.values(texts)) for (const [, name] of text.matchAll(/\bvar\.(\w+)/g)) used.add(name);
  for (const name of used) assert.ok(declared.has(name), `var.${name} is not declared`);
  for (const name of declared) assert.ok(used.has(name), `variable ${name} is never used`);
});

// The container of a workload resource, as parsed.
function podOf(type) {
  const resource = only(module.resource[type].henged);
  return only(only(only(resource.spec).template).spec);
}

test('both variants: probes, requests and limits, unprivileged read-only containers, grace above preStop and drain', async () => {
  const { stdout } = await run(HENGED, ['--help']);
  const settings = new Set([...stdout.matchAll(/Env:(HENGE_\w+)/g)].map((m) => m[1]));
  const locals = Object.assign({}, ...module.locals);
  for (const key of JSON.stringify(locals.settings).match(/HENGE_\w+/g)) assert.ok(settings.has(key), `${key} is a henged setting`);

  for (const type of ['kubernetes_stateful_set_v1', 'kubernetes_deployment_v1']) {
    const pod = podOf(type);
    const c = only(pod.container);
    const path = (probe) => only(only(c[probe]).http_get).path;
    assert.equal(path('liveness_probe'), '/healthz', type);
    assert.equal(path('readiness_probe'), '/readyz', type);
    assert.equal(path('startup_probe'), '/healthz', type);
    const resources = only(c.resources);
    assert.ok(resources.requests && resources.limits, `${type}: requests and limits`);
    const sc = only(c.security_context);
    assert.equal(sc.read_only_root_filesystem, true, type);
    assert.equal(sc.allow_privilege_escalation, false, type);
    assert.deepEqual(only(sc.capabilities).drop, ['ALL'], type);
    assert.equal(only(pod.security_context).run_as_non_root, true, type);
    assert.equal(pod.automount_service_account_token, false, type);
    assert.deepEqual(c.volume_mount.map((m) => m.mount_path).sort(), ['${local.data_dir}', '/tmp'], type);
    for (const e of c.env) assert.ok(settings.has(e.name), `${type}: ${e.name} is a henged setting`);
    assert.equal(pod.termination_grace_period_seconds, '${local.grace_seconds}', type);
  }
  // The grace period counts the preStop delay and the drain, with room for henged's 2 s.
  assert.match(locals.grace_seconds, /local\.pre_stop \+ var\.drain_seconds \+ (\d+)/);
  assert.ok(Number(/\+ (\d+)\}$/.exec(locals.grace_seconds)[1]) > 2);
});

test('ha: rolled one pod at a time with none unavailable, a preStop delay, spread, and a disruption budget', () => {
  const deployment = only(module.resource.kubernetes_deployment_v1.henged);
  const spec = only(deployment.spec);
  const strategy = only(spec.strategy);
  assert.equal(strategy.type, 'RollingUpdate');
  assert.deepEqual(only(strategy.rolling_update), { max_unavailable: '0', max_surge: '1' });
  assert.equal(spec.replicas, '${var.replicas}');
  const pod = podOf('kubernetes_deployment_v1');
  const c = only(pod.container);
  assert.deepEqual(only(only(only(c.lifecycle).pre_stop).exec).command, ['/bin/sleep', '${tostring(var.pre_stop_seconds)}']);
  const anti = only(only(only(pod.affinity).pod_anti_affinity).preferred_during_scheduling_ignored_during_execution);
  assert.equal(only(anti.pod_affinity_term).topology_key, 'kubernetes.io/hostname');
  assert.ok(c.env.some((e) => e.name === 'HENGE_DATABASE_URL' && only(e.value_from).secret_key_ref), 'the URL from a Secret');
  const pdb = only(only(module.resource.kubernetes_pod_disruption_budget_v1.henged).spec);
  assert.equal(pdb.max_unavailable, '1');
  assert.match(only(deployment.lifecycle).precondition[0].condition, /var\.database_url_secret != null/);
});

test('the ingress streams unbuffered with long timeouts and TLS', () => {
  const ingress = only(module.resource.kubernetes_ingress_v1.henged);
  const locals = Object.assign({}, ...module.locals);
  assert.equal(locals.sse_annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off');
  assert.ok(Number(locals.sse_annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 3600);
  assert.deepEqual(only(only(ingress.spec).tls).hosts, ['${var.ingress_host}']);
});
