// The Kubernetes manifests (deploy/k8s): every variant renders with kustomize, every
// object is valid for the Kubernetes API (k8s_schema.mjs), and the properties a
// production deployment rests on hold: probes, requests and limits, an unprivileged
// read-only container that matches the image, a grace period above the drain, the
// rolling-update strategy, the disruption budget, an SSE-fit ingress. Settings are checked
// against henged's own list, so a misspelt HENGE_* variable fails here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { HENGED } from '../integration/harness.mjs';
import { imageConfig, parseDockerfile, ROOT } from './image.mjs';
import { validateObject } from './k8s_schema.mjs';

const run = promisify(execFile);
const VARIANTS = ['base', 'overlays/ha', 'examples/k3s', 'examples/gke'];
const henged = imageConfig(parseDockerfile().find((s) => s.name === 'henged'));
const rendered = {};
let settings;
let tree;

before(async () => {
  // The examples read their secrets from files an operator makes; render a copy with them.
  tree = mkdtempSync(join(tmpdir(), 'henge-k8s-'));
  cpSync(join(ROOT, 'deploy', 'k8s'), tree, { recursive: true });
  for (const example of ['k3s', 'gke']) {
    writeFileSync(join(tree, 'examples', example, 'admin-token'), 'a'.repeat(64));
    writeFileSync(join(tree, 'examples', example, 'database-url'), 'postgres://henge:pw@10.0.0.3:5432/henge');
  }
  for (const variant of VARIANTS) {
    const { stdout } = await run('kubectl', ['kustomize', join(tree, variant)], { maxBuffer: 16 << 20 });
    rendered[variant] = parseAllDocuments(stdout).map((d) => d.toJS());
  }
  const { stdout } = await run(HENGED, ['--help']);
  settings = new Set([...stdout.matchAll(/Env:(HENGE_\w+)/g)].map((m) => m[1]));
});
after(() => rmSync(tree, { recursive: true, force: true }));

const find = (objects, kind, name) => objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));
const all = (objects, kind) => objects.filter((o) => o.kind === kind);

// What the pods of `variant` are run by: its one workload.
function workload(objects) {
  const found = [...all(objects, 'StatefulSet'), ...all(objects, 'Deployment')];
  assert.equal(found.length, 1, 'one workload');
  return found[0];
}

// The value of a setting in the pod's environment: a literal, or from the ConfigMap.
function setting(objects, container, name) {
  const direct = container.env?.find((e) => e.name === name);
  if (direct) return direct.value ?? direct.valueFrom;
  for (const from of container.envFrom ?? []) {
    const map = find(objects, 'ConfigMap', from.configMapRef?.name);
    if (map?.data?.[name] !== undefined) return map.data[name];
  }
  return undefined;
}

function seconds(probe) {
  return (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
}

test('every variant renders, and every object in it is valid for the Kubernetes API', async () => {
  for (const variant of VARIANTS) {
    assert.ok(rendered[variant].length > 0, variant);
    for (const object of rendered[variant]) {
      await validateObject(object).catch((e) => assert.fail(`${variant}: ${e.message}`));
    }
    for (const object of rendered[variant]) {
      assert.equal(object.metadata.namespace ?? (object.kind === 'Namespace' ? undefined : 'none'),
        object.kind === 'Namespace' ? undefined : 'henge', `${variant}: ${object.kind} in the henge namespace`);
    }
  }
});

test('the pods: probes, requests and limits, unprivileged and read-only as the image expects, grace above the drain', () => {
  for (const variant of VARIANTS) {
    const objects = rendered[variant];
    const w = workload(objects);
    const pod = w.spec.template.spec;
    const [c] = pod.containers;
    const where = `${variant} ${w.kind}`;
    const port = c.ports.find((p) => p.name === 'http');
    assert.equal(String(port.containerPort), henged.ports[0], `${where}: the port the image exposes`);

    assert.equal(c.livenessProbe.httpGet.path, '/healthz', where);
    assert.equal(c.readinessProbe.httpGet.path, '/readyz', where);
    assert.equal(c.startupProbe.httpGet.path, '/healthz', where);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) assert.equal(probe.httpGet.port, 'http', where);
    assert.ok(seconds(c.startupProbe) >= 60, `${where}: a minute to open and migrate the store`);
    assert.ok(seconds(c.livenessProbe) > seconds(c.readinessProbe), `${where}: readiness reacts before liveness kills`);

    for (const kind of ['requests', 'limits']) {
      assert.ok(c.resources[kind].cpu && c.resources[kind].memory, `${where}: cpu and memory ${kind}`);
    }

    const uid = Number(henged.user.split(':')[0]);
    assert.equal(pod.securityContext.runAsNonRoot, true, where);
    assert.equal(pod.securityContext.runAsUser, uid, `${where}: the image's user`);
    assert.equal(pod.securityContext.fsGroup, uid, `${where}: volumes writable by it`);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', where);
    assert.equal(pod.automountServiceAccountToken, false, `${where}: henged needs no Kubernetes API`);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true, where);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false, where);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], where);
    // A read-only root needs every place henged writes mounted: its data volume and /tmp.
    const mounts = c.volumeMounts.map((m) => m.mountPath).sort();
    assert.deepEqual(mounts, [...henged.volumes, '/tmp'].sort(), `${where}: the image's volumes and /tmp`);

    const drain = Number(setting(objects, c, 'HENGE_DRAIN'));
    assert.ok(drain > 0, `${where}: HENGE_DRAIN set`);
    const preStop = c.lifecycle?.preStop?.exec?.command;
    const delay = preStop ? Number(preStop.at(-1)) : 0;
    // henged exits within the drain and 2 s; Kubernetes counts the preStop hook in the grace.
    assert.ok(pod.terminationGracePeriodSeconds > delay + drain + 2,
      `${where}: grace ${pod.terminationGracePeriodSeconds} s above preStop ${delay} s + drain ${drain} s + 2 s`);

    for (const e of c.env ?? []) assert.ok(settings.has(e.name), `${where}: ${e.name} is not a henged setting`);
    for (const from of c.envFrom) {
      const map = find(objects, 'ConfigMap', from.configMapRef.name);
      assert.ok(map, `${where}: ConfigMap ${from.configMapRef.name}`);
      for (const key of Object.keys(map.data)) assert.ok(settings.has(key), `${where}: ${key} is not a henged setting`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const secret = find(objects, 'Secret', ref.name);
      assert.ok(secret && (secret.data?.[ref.key] ?? secret.stringData?.[ref.key]), `${where}: Secret ${ref.name} has ${ref.key}`);
    }
    assert.ok(setting(objects, c, 'HENGE_ADMIN_TOKEN')?.secretKeyRef, `${where}: the admin token comes from a Secret`);

    const service = find(objects, 'Service', 'henged');
    for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(w.spec.template.metadata.labels[k], v, where);
    assert.equal(service.spec.ports[0].targetPort, 'http', where);
  }
});

test('single node: a StatefulSet of one keeps SQLite on a persistent volume', () => {
  for (const variant of ['base', 'examples/k3s']) {
    const objects = rendered[variant];
    const w = workload(objects);
    assert.equal(w.kind, 'StatefulSet', variant);
    assert.equal(w.spec.replicas, 1, variant);
    const [claim] = w.spec.volumeClaimTemplates;
    assert.ok(claim.spec.resources.requests.storage, variant);
    const [c] = w.spec.template.spec.containers;
    assert.equal(c.volumeMounts.find((m) => m.name === claim.metadata.name).mountPath, henged.env.HENGE_DATA_DIR, variant);
    assert.equal(setting(objects, c, 'HENGE_DATABASE_URL'), undefined, `${variant}: SQLite`);
  }
});

test('ha: three replicas over PostgreSQL, replaced one at a time with none unavailable, spread and protected', () => {
  for (const variant of ['overlays/ha', 'examples/gke']) {
    const objects = rendered[variant];
    const w = workload(objects);
    assert.equal(w.kind, 'Deployment', variant);
    assert.equal(w.spec.replicas, 3, variant);
    assert.deepEqual(w.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, variant);
    const pod = w.spec.template.spec;
    const [c] = pod.containers;
    assert.equal(setting(objects, c, 'HENGE_DATABASE_URL').secretKeyRef.key, 'url', `${variant}: the URL from a Secret`);
    assert.equal(setting(objects, c, 'HENGE_REPLICA_ID').fieldRef.fieldPath, 'metadata.name', variant);
    const preStop = c.lifecycle.preStop.exec.command;
    assert.equal(preStop[0], '/bin/sleep', `${variant}: a preStop delay`);
    assert.ok(Number(preStop[1]) >= 3, `${variant}: long enough for endpoints to drop the pod`);

    const anti = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    assert.equal(anti.topologyKey, 'kubernetes.io/hostname', variant);
    assert.deepEqual(anti.labelSelector.matchLabels, w.spec.selector.matchLabels, variant);

    const pdb = find(objects, 'PodDisruptionBudget');
    assert.deepEqual(pdb.spec.selector.matchLabels, w.spec.selector.matchLabels, variant);
    const unavailable = pdb.spec.maxUnavailable ?? w.spec.replicas - pdb.spec.minAvailable;
    assert.ok(unavailable >= 1 && w.spec.replicas - unavailable >= 2, `${variant}: one at a time, two always serving`);
  }
});

test('the ingress examples stream events unbuffered, with long timeouts and TLS, to the henged Service', () => {
  for (const variant of ['examples/k3s', 'examples/gke']) {
    const objects = rendered[variant];
    const ingress = find(objects, 'Ingress', 'henged');
    const a = ingress.metadata.annotations;
    assert.equal(a['nginx.ingress.kubernetes.io/proxy-buffering'], 'off', variant);
    const keepalive = Number(setting(objects, workload(objects).spec.template.spec.containers[0], 'HENGE_KEEPALIVE'));
    for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
      assert.ok(Number(a[`nginx.ingress.kubernetes.io/${key}`]) > 3 * keepalive, `${variant}: ${key} outlasts keepalives`);
    }
    const [rule] = ingress.spec.rules;
    assert.ok(ingress.spec.tls[0].hosts.includes(rule.host), `${variant}: TLS for ${rule.host}`);
    const backend = rule.http.paths[0].backend.service;
    const service = find(objects, 'Service', backend.name);
    assert.ok(service.spec.ports.some((p) => p.name === backend.port.name), variant);
  }
  assert.equal(find(rendered['examples/k3s'], 'Ingress').spec.ingressClassName, 'traefik');
  assert.equal(find(rendered['examples/gke'], 'Ingress').spec.ingressClassName, 'nginx');
});

test('the placeholder secrets of base and ha are ones henged refuses; the examples carry the operator\'s', () => {
  const token = (objects) => Buffer.from(find(objects, 'Secret', 'henge-admin').data.token, 'base64').toString();
  assert.ok(token(rendered.base).length < 16, 'base: henged refuses a token this short');
  assert.equal(token(rendered['examples/gke']), 'a'.repeat(64));
  assert.equal(token(rendered['examples/k3s']), 'a'.repeat(64));
});
