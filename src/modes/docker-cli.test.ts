import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { docker, dockerRunArgs } from './docker-cli.ts';

describe('docker CLI', () => {
  it('runs a sidecar image detached, removed on exit, labelled, published on 127.0.0.1 only, secrets by name', () => {
    const args = dockerRunArgs({
      name: 'switchboard-local-1a2b3c4d', provider: 'local', image: 'ghcr.io/acme/router:1.2', port: 41234,
      containerPort: 8080, envNames: ['ROUTER_KEY', 'PORT'],
    });
    assert.deepEqual(args, [
      'run', '-d', '--rm', '--name', 'switchboard-local-1a2b3c4d', '--label', 'switchboard.sidecar=local',
      '-p', '127.0.0.1:41234:8080', '-e', 'ROUTER_KEY', '-e', 'PORT', 'ghcr.io/acme/router:1.2',
    ]);
  });

  it('says so when the CLI itself is missing, without rejecting', async () => {
    const result = await docker(['version'], 2000, { PATH: '/nonexistent' });
    assert.deepEqual(result, { ok: false, output: 'the docker CLI is not on PATH' });
  });
});
